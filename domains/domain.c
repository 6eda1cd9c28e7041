/* Domains: set-up and tear-down of an isolated address space (its EPT). */
#include <lxds/arch.h>
#include <lxds/domain.h>
#include <lxds/memory.h>
#include <lxds/string.h>

static int table_alloc(void *ctx, uint64_t *pa)
{
    (void)ctx;
    return mem_alloc_frames(1, 1, pa);
}

static void table_free(void *ctx, uint64_t pa)
{
    (void)ctx;
    mem_free_frames(pa, 1);
}

static void *table_virt(void *ctx, uint64_t pa)
{
    (void)ctx;
    return phys_to_virt(pa);
}

/* EPT tables come from the hypervisor's frames; callers INVEPT before a destroyed
 * domain's frames can be reused (arch_vcpu_destroy does). */
static const struct ept_backing hv_ept_backing = {
    .alloc_table = table_alloc,
    .free_table = table_free,
    .phys_to_virt = table_virt,
};

int domain_init(struct domain *d, const char *name, const struct domain_ops *ops, void *priv)
{
    bool allow_2m, allow_1g;
    enum ept_format format;

    memset(d, 0, sizeof(*d));
    for (size_t i = 0; name[i] && i < sizeof(d->name) - 1; i++)
        d->name[i] = name[i];
    d->ops = ops;
    d->priv = priv;
    arch_stage2_params(&allow_2m, &allow_1g, &format);
    return ept_init(&d->ept, &hv_ept_backing, format, allow_2m, allow_1g && allow_2m);
}

void domain_destroy(struct domain *d)
{
    ept_destroy(&d->ept);
}
