// SPDX-License-Identifier: GPL-2.0-only
/*
 * vlpi-mig: find the kernel's side of the seam, the enabling series.
 *
 * The module links none of the series' symbols: it looks each one up
 * with symbol_get() when it loads, as KVM looks up VFIO's. Built by DKMS
 * against headers of a kernel it then meets without the series, or with
 * another version of it, a linked module would fail in the loader with
 * "Unknown symbol" (or, worse, call into hooks of another layout); this
 * one refuses to load, saying which piece is missing.
 *
 * The series' version, vgic_mig_seam_version, is looked up first, and
 * nothing else is unless it is the version the module was built for.
 *
 * Locking: none. vlpi_mig_seam is written at load, before the module
 * registers anywhere, and read-only afterwards (__ro_after_init).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/stddef.h>

#include <kunit/visibility.h>

#include "vlpi_mig.h"

struct vlpi_mig_seam vlpi_mig_seam __ro_after_init;
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_seam);

/* Each member has the type of the symbol it holds */
static_assert(__same_type(vlpi_mig_seam.vgic_mig_seam_version, &vgic_mig_seam_version));
static_assert(__same_type(vlpi_mig_seam.vgic_mig_register, &vgic_mig_register));
static_assert(__same_type(vlpi_mig_seam.vgic_mig_unregister, &vgic_mig_unregister));
static_assert(__same_type(vlpi_mig_seam.vgic_mig_get_host_info, &vgic_mig_get_host_info));
static_assert(__same_type(vlpi_mig_seam.vgic_mig_unmap_vpes, &vgic_mig_unmap_vpes));
static_assert(__same_type(vlpi_mig_seam.vgic_mig_map_vpes, &vgic_mig_map_vpes));
static_assert(__same_type(vlpi_mig_seam.vgic_lpis_enabled, &vgic_lpis_enabled));
static_assert(__same_type(vlpi_mig_seam.its_register_vlpi_state_ops,
			  &its_register_vlpi_state_ops));
static_assert(__same_type(vlpi_mig_seam.its_unregister_vlpi_state_ops,
			  &its_unregister_vlpi_state_ops));
static_assert(__same_type(vlpi_mig_seam.its_vpe_sync_vpt, &its_vpe_sync_vpt));

/* A symbol of the series, into the member of its name */
#define SEAM_SYM(sym) { #sym, offsetof(struct vlpi_mig_seam, sym) }

/* The version comes first: nothing else is looked up unless it matches */
static const struct vlpi_mig_seam_sym vlpi_mig_seam_syms[] = {
	SEAM_SYM(vgic_mig_seam_version),
	SEAM_SYM(vgic_mig_register),
	SEAM_SYM(vgic_mig_unregister),
	SEAM_SYM(vgic_mig_get_host_info),
	SEAM_SYM(vgic_mig_unmap_vpes),
	SEAM_SYM(vgic_mig_map_vpes),
	SEAM_SYM(vgic_lpis_enabled),
	SEAM_SYM(its_register_vlpi_state_ops),
	SEAM_SYM(its_unregister_vlpi_state_ops),
	SEAM_SYM(its_vpe_sync_vpt),
};

static void **seam_slot(void *seam, const struct vlpi_mig_seam_sym *sym)
{
	return seam + sym->offset;
}

/* Writes nothing: vlpi_mig_seam is read-only once the module has loaded */
static void seam_put(const struct vlpi_mig_seam_sym *syms, unsigned int n,
		     void *seam)
{
	while (n--)
		if (*seam_slot(seam, &syms[n]))
			__symbol_put(syms[n].name);
}

/* A failed lookup leaves nothing held, and @seam as it found it */
static void seam_undo(const struct vlpi_mig_seam_sym *syms, unsigned int n,
		      void *seam)
{
	seam_put(syms, n, seam);
	while (n--)
		*seam_slot(seam, &syms[n]) = NULL;
}

/**
 * vlpi_mig_seam_lookup() - look the series' symbols up
 * @syms: the symbols, the version first
 * @n: how many
 * @want: the version the module was built for
 * @seam: the structure their addresses go to, zeroed by the caller
 * @res: on failure, the symbol that is missing and the version read
 *
 * Return: 0 with every address in @seam; -ENOENT if a symbol is missing
 * (@res->missing names it; the version, when it is the one: the series is
 * absent), -ENOEXEC if the version is not @want (@res->have). On failure
 * nothing is held and @seam is zeroed again.
 */
VISIBLE_IF_KUNIT int vlpi_mig_seam_lookup(const struct vlpi_mig_seam_sym *syms,
					  unsigned int n, u32 want, void *seam,
					  struct vlpi_mig_seam_res *res)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		void **slot = seam_slot(seam, &syms[i]);

		*slot = __symbol_get(syms[i].name);
		if (!*slot) {
			res->missing = syms[i].name;
			seam_undo(syms, i, seam);
			return -ENOENT;
		}
		if (!i) {
			res->have = *(const u32 *)*slot;
			if (res->have != want) {
				seam_undo(syms, 1, seam);
				return -ENOEXEC;
			}
		}
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vlpi_mig_seam_lookup);

/**
 * vlpi_mig_seam_get() - find the series, or say why the module cannot load
 *
 * Return: 0 once vlpi_mig_seam is filled in, or the negative errno the
 * module's load fails with, having logged which piece is missing.
 */
int vlpi_mig_seam_get(void)
{
	struct vlpi_mig_seam_res res = {};
	int ret;

	ret = vlpi_mig_seam_lookup(vlpi_mig_seam_syms,
				   ARRAY_SIZE(vlpi_mig_seam_syms),
				   VLPI_MIG_SEAM_VERSION, &vlpi_mig_seam, &res);
	if (ret == -ENOEXEC)
		pr_err("this kernel carries version %u of the vlpi-mig enabling series; this module was built for version %u: build it against this kernel's headers, or apply the series it came with (Documentation/vlpi-mig/admin-guide.rst)\n",
		       res.have, VLPI_MIG_SEAM_VERSION);
	else if (ret && res.missing == vlpi_mig_seam_syms[0].name)
		pr_err("this kernel lacks the vlpi-mig enabling series (version %u; %s not found): apply the series, rebuild and boot the kernel (Documentation/vlpi-mig/admin-guide.rst)\n",
		       VLPI_MIG_SEAM_VERSION, res.missing);
	else if (ret)
		pr_err("this kernel's vlpi-mig enabling series (version %u) lacks %s: it is incomplete; apply the whole series (Documentation/vlpi-mig/admin-guide.rst)\n",
		       VLPI_MIG_SEAM_VERSION, res.missing);
	return ret;
}

/**
 * vlpi_mig_seam_put() - drop what vlpi_mig_seam_get() found, at unload
 */
void vlpi_mig_seam_put(void)
{
	seam_put(vlpi_mig_seam_syms, ARRAY_SIZE(vlpi_mig_seam_syms),
		 &vlpi_mig_seam);
}
