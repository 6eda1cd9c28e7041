// SPDX-License-Identifier: GPL-2.0
/*
 * klxd_hcrace: a hypercall's buffer rewritten during the call (issue 16,
 * "no double fetch"; a test of tests/system/boundary.sh).
 *
 * Linux's memory can change while the hypervisor serves one of Linux's
 * hypercalls: another Linux vCPU, or an LXD that Linux granted the pages
 * to, writes it.  The hypervisor must check and use one private copy of
 * every buffer it checks.  This module attacks LXDS_HC_CREATE, whose ELF
 * image is checked (the validator reads the heap note) and then loaded (the
 * loader copies the segment that contains the note):
 *
 *   - it builds a small valid ELF image in a page of its own: one PT_LOAD
 *     that covers the whole file, and a PT_NOTE inside it asking for a heap
 *     of 64 KiB;
 *   - it creates a "scribbler" LXD (a few hand-assembled instructions) and
 *     grants it that page; the scribbler flips the heap note between 64 KiB
 *     and 128 KiB as fast as it can (and beats its heartbeat);
 *   - it calls CREATE with that page as the image `rounds` times; after each
 *     success it starts the domain held at its first instruction and reads,
 *     through the debugger's call, the heap size the new
 *     domain was given (its boot information) and the note as loaded into
 *     the domain's memory: the two must agree, since one copy of the image
 *     was both checked and loaded.  A hypervisor that read the image in
 *     place gives a domain whose loaded note says one size and whose heap
 *     is the other whenever the flip lands between the check and the copy.
 *
 * cpu_writer=1: the writer is another Linux CPU instead (a kthread bound to
 * an online CPU other than the caller's, flipping the note in a loop): the
 * issue's own case, Linux's vCPUs racing each other.
 *
 * Every domain it creates is destroyed, the pool's free bytes must come
 * back, and both heap sizes must have been seen (or the scribbler did not
 * race, and the test proved nothing).  One summary line; the load fails with
 * -EIO otherwise.  It depends on nothing else (not klxd).
 */
#define pr_fmt(fmt) "klxd_hcrace: " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/stddef.h>
#include <linux/elf.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/cpumask.h>

#include <lxds/hypercall_abi.h>

static unsigned int rounds = 200;
module_param(rounds, uint, 0);
MODULE_PARM_DESC(rounds, "CREATE calls while the image is rewritten (default 200)");
static bool cpu_writer;
module_param(cpu_writer, bool, 0);
MODULE_PARM_DESC(cpu_writer, "another Linux CPU rewrites the image, not an LXD (needs two online CPUs)");

#define IMG_VA          0x400000ul      /* LXD_IMAGE_BASE: the images' one segment */
#define IMG_LEN         0x100ul
#define NOTE_AT         0xb0ul          /* the PT_NOTE: 12-byte header, "LXDS\0" + pad, 8-byte size */
#define NOTE_DESC_AT    (NOTE_AT + 12 + 8)
#define NOTE_LEN        (12 + 8 + 8)
#define CODE_AT         0xd0ul
#define HEAP_A          0x10000ul       /* 64 KiB */
#define HEAP_B          0x20000ul       /* 128 KiB: HEAP_A ^ FLIP */
#define FLIP            0x30000u

static long hc(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2)
{
	long ret;

	asm volatile("vmcall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "c"(0ul) : "memory");
	return ret;
}

/* An ELF64 image of IMG_LEN bytes at buf: one R+X PT_LOAD over the whole file at IMG_VA. */
static void build_image(u8 *buf, bool with_note, const u8 *code, size_t code_len)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*eh));

	memset(buf, 0, IMG_LEN);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = IMG_VA + CODE_AT;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = with_note ? 2 : 1;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0,
			      .p_vaddr = IMG_VA, .p_paddr = IMG_VA, .p_filesz = IMG_LEN,
			      .p_memsz = PAGE_SIZE, .p_align = PAGE_SIZE };
	if (with_note) {
		u32 hdr[3] = { sizeof(LXD_NOTE_NAME), 8, LXD_NOTE_HEAP_BYTES };
		u64 heap = HEAP_A;

		ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = NOTE_AT,
				      .p_vaddr = IMG_VA + NOTE_AT, .p_paddr = IMG_VA + NOTE_AT,
				      .p_filesz = NOTE_LEN, .p_memsz = NOTE_LEN, .p_align = 4 };
		memcpy(buf + NOTE_AT, hdr, sizeof(hdr));
		memcpy(buf + NOTE_AT + 12, LXD_NOTE_NAME, sizeof(LXD_NOTE_NAME));
		memcpy(buf + NOTE_DESC_AT, &heap, sizeof(heap));
	}
	memcpy(buf + CODE_AT, code, code_len);
}

/*
 * The scribbler: rax = the note's size as the scribbler sees the granted
 * page, rbx = its boot information;
 *   1: xor dword [rax], FLIP; inc qword [rbx + heartbeat]; jmp 1
 */
static size_t scribbler_code(u8 *c)
{
	u64 note = LXD_GRANT_VA + NOTE_DESC_AT, bi = LXD_BOOT_INFO_VA;
	u32 hb = offsetof(struct lxd_boot_info, heartbeat), flip = FLIP;
	size_t n = 0;

	c[n++] = 0x48; c[n++] = 0xb8; memcpy(c + n, &note, 8); n += 8;	/* mov rax, imm64 */
	c[n++] = 0x48; c[n++] = 0xbb; memcpy(c + n, &bi, 8); n += 8;	/* mov rbx, imm64 */
	c[n++] = 0x81; c[n++] = 0x30; memcpy(c + n, &flip, 4); n += 4;	/* xor dword [rax], imm32 */
	c[n++] = 0x48; c[n++] = 0xff; c[n++] = 0x83; memcpy(c + n, &hb, 4); n += 4; /* inc qword [rbx+d32] */
	c[n++] = 0xeb; c[n] = (u8)(20 - (n + 1)); n++;			/* jmp back to the xor */
	return n;
}

/* The Linux writer: flips the note until stopped, on a CPU of its own. */
static int writer_fn(void *note)
{
	u32 *w = note;
	unsigned long n = 0;

	while (!kthread_should_stop()) {
		WRITE_ONCE(*w, READ_ONCE(*w) ^ FLIP);
		if (!(++n & 1023))
			cond_resched();
	}
	return 0;
}

static long debug_op(u32 id, struct lxds_debug *req, u32 op, u64 addr, u64 len, void *buf)
{
	memset(req, 0, sizeof(*req));
	req->op = op;
	req->addr = addr;
	req->len = len;
	req->buf_gpa = buf ? virt_to_phys(buf) : 0;
	return hc(LXDS_HC_DEBUG, id, virt_to_phys(req), 0);
}

static u64 pool_free(struct lxds_info *info)
{
	return hc(LXDS_HC_INFO, virt_to_phys(info), 0, 0) ? ~0ull : info->pool_free_bytes;
}

/* Creates a domain from the page at img and checks it; 1 consistent, 0 refused, < 0 a failure. */
static int one_round(u8 *img, char *name, struct lxds_debug *req, u64 *note_heap, u64 *bi_heap,
		     unsigned int *refused_enoexec)
{
	long id = hc(LXDS_HC_CREATE, virt_to_phys(img), IMG_LEN, virt_to_phys(name));
	int rc = 1;

	if (id == -ENOEXEC || id == -E2BIG) {	/* a torn note can be refused: that is fine */
		(*refused_enoexec)++;
		return 0;
	}
	if (id < 0) {
		pr_err("CREATE of the rewritten image failed: %ld\n", id);
		return -EIO;
	}
	/* memory is read while a domain holds still: attached, started (held at
	 * its first instruction) and paused, as `lxdctl gdb --start` does */
	if (debug_op(id, req, LXDS_DBG_ATTACH, 0, 0, NULL) || hc(LXDS_HC_START, id, -1ul, 0) < 0 ||
	    debug_op(id, req, LXDS_DBG_PAUSE, 0, 0, NULL) ||
	    debug_op(id, req, LXDS_DBG_READ, IMG_VA + NOTE_DESC_AT, 8, note_heap) != 8 ||
	    debug_op(id, req, LXDS_DBG_READ, LXD_BOOT_INFO_VA + offsetof(struct lxd_boot_info, heap_bytes),
		     8, bi_heap) != 8) {
		pr_err("domain %ld: the debugger's call could not read it\n", id);
		rc = -EIO;
	}
	if (hc(LXDS_HC_DESTROY, id, 0, 0)) {
		pr_err("domain %ld: DESTROY failed\n", id);
		rc = -EIO;
	}
	return rc;
}

static int __init hcrace_init(void)
{
	struct page *pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, 1);
	u8 *img, *scr, code[64];
	char *name;
	struct lxds_debug *req;
	struct lxds_info *info;
	u64 *note_heap, *bi_heap, free0 = 0, free1 = 0;
	unsigned int made = 0, refused = 0, bad = 0, seen_a = 0, seen_b = 0, i;
	long sid = -1, rc;
	int ret = -EIO, wcpu = -1;
	struct task_struct *writer = NULL;
	char who[32] = "an LXD";

	req = kzalloc(sizeof(*req) + sizeof(*info) + 2 * sizeof(u64) + 2 * LXDS_NAME_MAX, GFP_KERNEL);
	if (!pages || !req) {
		ret = -ENOMEM;
		goto out;
	}
	info = (void *)(req + 1);
	note_heap = (void *)(info + 1);
	bi_heap = note_heap + 1;
	name = (char *)(bi_heap + 1);
	img = page_address(pages);
	scr = img + PAGE_SIZE;
	build_image(img, true, (const u8 []){ 0xf4, 0xeb, 0xfd }, 3);	/* hlt; jmp hlt: never run */
	build_image(scr, false, code, scribbler_code(code));

	if (cpu_writer) {
		wcpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
		if (wcpu >= nr_cpu_ids) {
			pr_err("cpu_writer=1 needs a second online CPU\n");
			goto out;
		}
		writer = kthread_create(writer_fn, img + NOTE_DESC_AT, "hcrace-writer");
		if (IS_ERR(writer)) {
			pr_err("the writer thread: %ld\n", PTR_ERR(writer));
			writer = NULL;
			goto out;
		}
		kthread_bind(writer, wcpu);
		wake_up_process(writer);
		snprintf(who, sizeof(who), "Linux's CPU %d", wcpu);
		pr_info("CPU %d flips the image's heap note while CPU %d calls CREATE\n", wcpu,
			raw_smp_processor_id());
	} else {
		strscpy(name, "hcrace-scribbler", LXDS_NAME_MAX);
		sid = hc(LXDS_HC_CREATE, virt_to_phys(scr), IMG_LEN, virt_to_phys(name));
		if (sid < 0) {
			pr_err("the scribbler was refused: %ld\n", sid);
			goto out;
		}
		rc = hc(LXDS_HC_GRANT, sid, virt_to_phys(img), 1);
		if (rc != LXD_GRANT_VA) {
			pr_err("granting the image's page to the scribbler: %ld\n", rc);
			goto out;
		}
		rc = hc(LXDS_HC_START, sid, -1ul, 0);
		if (rc < 0) {
			pr_err("starting the scribbler: %ld\n", rc);
			goto out;
		}
		pr_info("the scribbler (domain %ld) flips the image's heap note on core %ld\n", sid, rc);
	}
	free0 = pool_free(info);
	strscpy(name, "hcrace-victim", LXDS_NAME_MAX);
	for (i = 0; i < rounds; i++) {
		rc = one_round(img, name, req, note_heap, bi_heap, &refused);
		if (rc < 0)
			goto out;
		if (!rc)
			continue;
		made++;
		seen_a += *bi_heap == HEAP_A;
		seen_b += *bi_heap == HEAP_B;
		if (*note_heap != *bi_heap) {
			if (bad++ < 5)
				pr_err("round %u: the domain got a heap of %llu KiB, its loaded note says %llu KiB\n",
				       i, *bi_heap >> 10, *note_heap >> 10);
		}
		cond_resched();
	}
	free1 = pool_free(info);
	pr_info("%u CREATE calls while %s rewrote the image: %u created (heap 64 KiB %u, 128 KiB %u), "
		"%u refused; %u inconsistent (checked one image, loaded another); pool free %s\n",
		rounds, who, made, seen_a, seen_b, refused, bad, free0 == free1 ? "back" : "NOT back");
	if (!seen_a || !seen_b)
		pr_err("the scribbler never changed the image between calls: this run proved nothing\n");
	if (!bad && free0 == free1 && seen_a && seen_b)
		ret = 0;
out:
	if (writer)
		kthread_stop(writer);
	if (sid >= 0 && hc(LXDS_HC_DESTROY, sid, 0, 0))
		pr_err("destroying the scribbler failed\n");
	kfree(req);
	if (pages)
		__free_pages(pages, 1);
	return ret;
}

static void __exit hcrace_exit(void)
{
}

module_init(hcrace_init);
module_exit(hcrace_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lxds: rewrites a hypercall's buffer during the call (tests)");
