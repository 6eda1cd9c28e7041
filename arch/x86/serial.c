/* The console: a polled 16550 UART on COM1, 115200 8N1. */
#include <lxds/arch.h>
#include <x86/cpu.h>

#define COM1        0x3F8
#define UART_DATA   0
#define UART_IER    1
#define UART_FCR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define LSR_THRE    0x20
#define LSR_TEMT    0x40                /* transmitter empty: all bytes on the wire */
#define LCR_DLAB    0x80
#define SPIN_LIMIT  100000              /* a port that never drains is not waited on forever */

static uint16_t port = COM1;

void arch_console_init(void)
{
    outb(port + UART_IER, 0x00);        /* polled: no interrupts */
    outb(port + UART_LCR, LCR_DLAB);
    outb(port + UART_DATA, 1);          /* divisor 1: 115200 baud */
    outb(port + UART_IER, 0);
    outb(port + UART_LCR, 0x03);        /* 8 data bits, no parity, 1 stop bit */
    outb(port + UART_FCR, 0xC7);        /* FIFOs on and cleared */
    outb(port + UART_MCR, 0x03);        /* DTR, RTS */
}

static void serial_putc(char c)
{
    for (int i = 0; i < SPIN_LIMIT && !(inb(port + UART_LSR) & LSR_THRE); i++)
        cpu_pause();
    outb(port + UART_DATA, (uint8_t)c);
}

void arch_console_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}

void arch_console_flush(void)
{
    for (int i = 0; i < SPIN_LIMIT && !(inb(port + UART_LSR) & LSR_TEMT); i++)
        cpu_pause();
}

#define COM2 0x2F8

/* Linux gets COM1; the hypervisor goes on on COM2 (and in its memory log). */
void arch_console_handover(void)
{
    arch_console_flush();
    port = COM2;
    arch_console_init();
}
