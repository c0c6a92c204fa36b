// SPDX-License-Identifier: GPL-2.0-only
/*
 * edu_vfio_pci - VFIO migration v2 for QEMU's edu device.  TEST ONLY.
 *
 * This driver exists only to test VFIO live migration (the kernel's
 * migration uAPI, and an unmodified QEMU as the VMM) on an emulated host
 * that has no migratable device: it drives QEMU's educational PCI device
 * (hw/misc/edu.c, 1234:11e8), which is not hardware, and it is of no use
 * on any real system.  Like samples/vfio-mdev/mtty.c it is a test vehicle,
 * not a driver to ship.
 *
 * It is a vfio-pci-core variant driver, shaped like the upstream ones
 * under drivers/vfio/pci/: everything is vfio-pci, plus the STOP_COPY
 * migration state machine.  The device state it carries is what a guest
 * can observe of edu and a test checks:
 *
 *   0x04  liveness/scratch register: reads back the inverse of the last
 *         value written
 *   0x08  factorial register: reads back the factorial of the last value
 *         written, once the device's computation is done
 *   0x20  status register: only its "raise an interrupt when a factorial
 *         completes" bit (0x80)
 *
 * It deliberately leaves out the interrupt status register (0x24): edu
 * sets it only by raising an interrupt (a write of 0x60 raises an MSI),
 * so restoring it would mean raising one on the destination, and a
 * raised-but-unacknowledged interrupt is not the state under test (the
 * test acknowledges its interrupts before it stops the device).  edu's
 * DMA engine registers and buffer are left out too: the test does not
 * use them, and STOP only waits for a transfer in flight to finish.
 *
 * edu cannot be told to stop; STOP holds because the VMM no longer
 * touches the device, once what edu runs by itself (a factorial, a DMA
 * transfer) has finished.  There is no dirty page tracking: the VMM has
 * to treat all guest memory as dirty.
 *
 * The stream is one record: a header (magic, version, payload length)
 * and the registers, all little-endian.
 *
 * Locking, outermost first:
 *   edu_vfio_pci_device.state_mutex: the migration state and its data
 *   files; every migration step runs under it
 *     vfio_pci_core_device.memory_lock (write): BAR0 during a step,
 *     against the user's accesses and mmap faults
 *     edu_mig_file.lock: a data file's buffer, against its read() or
 *     write() and its end
 *   edu_vfio_pci_device.reset_lock (spinlock): deferred_reset. reset_done()
 *   runs under memory_lock, so it only tries state_mutex (under
 *   reset_lock); whoever holds state_mutex does a recorded reset when it
 *   lets go (edu_state_mutex_unlock()).
 */

#include <linux/anon_inodes.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#define EDU_VENDOR_ID		0x1234
#define EDU_DEVICE_ID		0x11e8

#define EDU_BAR			0
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_FACT		0x08
#define EDU_REG_STATUS		0x20
#define EDU_REG_DMA_CMD		0x98

#define EDU_STATUS_COMPUTING	0x01
#define EDU_STATUS_IRQFACT	0x80
#define EDU_DMA_RUN		0x01

/*
 * A factorial of a large argument runs for seconds in edu's thread; a
 * DMA transfer completes 100ms (of the emulator's virtual clock) after
 * it starts.
 */
#define EDU_IDLE_POLL_US	100
#define EDU_IDLE_TIMEOUT_S	10
#define EDU_IDLE_TIMEOUT_US	(EDU_IDLE_TIMEOUT_S * USEC_PER_SEC)

/*
 * 34! is the first factorial with 32 factors of two, so n! mod 2^32 for
 * n <= 34 is every value the factorial register can settle at, 0 (its
 * value before the first computation) included.
 */
#define EDU_FACT_ARG_MAX	34

#define EDU_MIG_MAGIC		0x4d554445	/* "EDUM" */
#define EDU_MIG_VERSION		1

struct edu_mig_header {
	__le32 magic;
	__le32 version;
	__le32 length;		/* of the payload that follows */
	__le32 reserved;	/* zero */
};

struct edu_mig_regs {
	__le32 liveness;	/* what 0x04 reads */
	__le32 fact;		/* what 0x08 reads, the device idle */
	__le32 status;		/* 0x20, EDU_STATUS_IRQFACT only */
	__le32 reserved;	/* zero */
};

struct edu_mig_stream {
	struct edu_mig_header hdr;
	struct edu_mig_regs regs;
};

#define EDU_MIG_STREAM_SIZE	sizeof(struct edu_mig_stream)

struct edu_vfio_pci_device;

/* The data fd of one STOP_COPY (save) or RESUMING (resume) session */
struct edu_mig_file {
	struct file *filp;
	struct edu_vfio_pci_device *edev;	/* for messages, while enabled */
	struct mutex lock;	/* serialises read/write against disabling */
	bool disabled;		/* the device left this file's state */
	bool refused;		/* resume: the stream was refused */
	size_t len;		/* save: valid bytes; resume: written bytes */
	u8 buf[EDU_MIG_STREAM_SIZE];
};

struct edu_vfio_pci_device {
	struct vfio_pci_core_device core_device;
	/* protects mig_state and the data files */
	struct mutex state_mutex;
	enum vfio_device_mig_state mig_state;
	struct edu_mig_file *saving;
	struct edu_mig_file *resuming;
	/* a reset that could not take state_mutex, done at its unlock */
	spinlock_t reset_lock;
	bool deferred_reset;
};

static struct edu_vfio_pci_device *
to_edu(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct edu_vfio_pci_device,
			    core_device.vdev);
}

static struct pci_dev *edu_pdev(struct edu_vfio_pci_device *edev)
{
	return edev->core_device.pdev;
}

/* Data files */

static int edu_mig_release(struct inode *inode, struct file *filp)
{
	struct edu_mig_file *migf = filp->private_data;

	mutex_destroy(&migf->lock);
	kfree(migf);
	return 0;
}

static ssize_t edu_save_read(struct file *filp, char __user *buf, size_t len,
			     loff_t *pos)
{
	struct edu_mig_file *migf = filp->private_data;
	ssize_t done;

	/* stream_open(): the position is ours */
	if (pos)
		return -ESPIPE;
	pos = &filp->f_pos;

	mutex_lock(&migf->lock);
	if (migf->disabled) {
		done = -ENODEV;
		goto out;
	}
	if (*pos < 0 || *pos > migf->len) {
		done = -EINVAL;
		goto out;
	}
	len = min_t(size_t, len, migf->len - *pos);
	if (len && copy_to_user(buf, migf->buf + *pos, len)) {
		done = -EFAULT;
		goto out;
	}
	*pos += len;
	done = len;
out:
	mutex_unlock(&migf->lock);
	return done;
}

static const struct file_operations edu_save_fops = {
	.owner = THIS_MODULE,
	.read = edu_save_read,
	.release = edu_mig_release,
	.llseek = noop_llseek,
};

static int edu_check_header(struct pci_dev *pdev,
			    const struct edu_mig_header *hdr)
{
	if (le32_to_cpu(hdr->magic) != EDU_MIG_MAGIC) {
		pci_err(pdev, "migration stream refused: bad magic %#x\n",
			le32_to_cpu(hdr->magic));
		return -EINVAL;
	}
	if (le32_to_cpu(hdr->version) != EDU_MIG_VERSION) {
		pci_err(pdev, "migration stream refused: version %u, not %u\n",
			le32_to_cpu(hdr->version), EDU_MIG_VERSION);
		return -EINVAL;
	}
	if (le32_to_cpu(hdr->length) != sizeof(struct edu_mig_regs) ||
	    hdr->reserved) {
		pci_err(pdev, "migration stream refused: bad header (length %u)\n",
			le32_to_cpu(hdr->length));
		return -EINVAL;
	}
	return 0;
}

/*
 * The stream is checked as soon as its header is complete, so that a
 * VMM sending the wrong thing hears about it on the write.
 */
static ssize_t edu_resume_write(struct file *filp, const char __user *buf,
				size_t len, loff_t *pos)
{
	struct edu_mig_file *migf = filp->private_data;
	const size_t hdr_len = sizeof(struct edu_mig_header);
	struct pci_dev *pdev;
	ssize_t done;
	size_t start;

	if (pos)
		return -ESPIPE;
	pos = &filp->f_pos;

	mutex_lock(&migf->lock);
	if (migf->disabled) {
		done = -ENODEV;
		goto out;
	}
	pdev = edu_pdev(migf->edev);
	if (migf->refused) {
		done = -EINVAL;
		goto out;
	}
	if (*pos < 0 || *pos != migf->len) {
		done = -EINVAL;
		goto out;
	}
	start = migf->len;
	if (len > EDU_MIG_STREAM_SIZE - start) {
		pci_err(pdev, "migration stream refused: longer than %zu bytes\n",
			EDU_MIG_STREAM_SIZE);
		migf->refused = true;
		done = -EINVAL;
		goto out;
	}
	if (copy_from_user(migf->buf + start, buf, len)) {
		done = -EFAULT;
		goto out;
	}
	if (start < hdr_len && start + len >= hdr_len) {
		done = edu_check_header(pdev,
					(struct edu_mig_header *)migf->buf);
		if (done) {
			migf->refused = true;
			goto out;
		}
	}
	migf->len = start + len;
	*pos = migf->len;
	done = len;
out:
	mutex_unlock(&migf->lock);
	return done;
}

static const struct file_operations edu_resume_fops = {
	.owner = THIS_MODULE,
	.write = edu_resume_write,
	.release = edu_mig_release,
	.llseek = noop_llseek,
};

/*
 * Two references: the one the VFIO core installs as the user's fd, and
 * ours, dropped when the device leaves the file's state.
 */
static struct edu_mig_file *
edu_mig_file_new(struct edu_vfio_pci_device *edev,
		 const struct file_operations *fops, int flags)
{
	struct edu_mig_file *migf;

	migf = kzalloc(sizeof(*migf), GFP_KERNEL_ACCOUNT);
	if (!migf)
		return ERR_PTR(-ENOMEM);

	migf->filp = anon_inode_getfile("edu_vfio_pci_mig", fops, migf, flags);
	if (IS_ERR(migf->filp)) {
		struct file *filp = migf->filp;

		kfree(migf);
		return ERR_CAST(filp);
	}
	stream_open(migf->filp->f_inode, migf->filp);
	mutex_init(&migf->lock);
	migf->edev = edev;
	get_file(migf->filp);
	return migf;
}

/* End the session: the fd reads or writes -ENODEV from now on */
static void edu_mig_file_put(struct edu_mig_file *migf)
{
	mutex_lock(&migf->lock);
	migf->disabled = true;
	migf->len = 0;
	mutex_unlock(&migf->lock);
	fput(migf->filp);
}

static void edu_disable_fds(struct edu_vfio_pci_device *edev)
{
	lockdep_assert_held(&edev->state_mutex);

	if (edev->saving) {
		edu_mig_file_put(edev->saving);
		edev->saving = NULL;
	}
	if (edev->resuming) {
		edu_mig_file_put(edev->resuming);
		edev->resuming = NULL;
	}
}

/*
 * reset_done() runs with memory_lock held for write, and the migration
 * steps take memory_lock under state_mutex: so a reset only records
 * itself when it cannot take state_mutex, and whoever holds it carries
 * the reset out here, as upstream's variant drivers do.
 */
static void edu_state_mutex_unlock(struct edu_vfio_pci_device *edev)
{
again:
	spin_lock(&edev->reset_lock);
	if (edev->deferred_reset) {
		edev->deferred_reset = false;
		spin_unlock(&edev->reset_lock);
		edev->mig_state = VFIO_DEVICE_STATE_RUNNING;
		edu_disable_fds(edev);
		goto again;
	}
	mutex_unlock(&edev->state_mutex);
	spin_unlock(&edev->reset_lock);
}

/* BAR0 access for the migration steps */

/*
 * Excludes the user's BAR accesses, mmap faults and command register
 * writes, wakes memory decoding up if the user had it off, and refuses
 * a device that is not in D0.  vfio_pci_core_disable() unmaps barmap[],
 * but only at close, which cannot run during a migration step.
 */
static void __iomem *edu_bar_begin(struct edu_vfio_pci_device *edev,
				   u16 *cmd)
{
	struct vfio_pci_core_device *vdev = &edev->core_device;
	struct pci_dev *pdev = vdev->pdev;

	lockdep_assert_held(&edev->state_mutex);
	down_write(&vdev->memory_lock);
	if (pdev->current_state != PCI_D0) {
		up_write(&vdev->memory_lock);
		pci_err(pdev, "migration: device not in D0\n");
		return IOMEM_ERR_PTR(-EIO);
	}
	pci_read_config_word(pdev, PCI_COMMAND, cmd);
	if (!(*cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(pdev, PCI_COMMAND,
				      *cmd | PCI_COMMAND_MEMORY);
	return vdev->barmap[EDU_BAR];
}

static void edu_bar_end(struct edu_vfio_pci_device *edev, u16 cmd)
{
	struct vfio_pci_core_device *vdev = &edev->core_device;

	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(vdev->pdev, PCI_COMMAND, cmd);
	up_write(&vdev->memory_lock);
}

/* Wait for what edu runs by itself: a factorial, a DMA transfer */
static int edu_wait_idle(struct edu_vfio_pci_device *edev, void __iomem *io)
{
	struct pci_dev *pdev = edu_pdev(edev);
	u32 val;
	int ret;

	ret = read_poll_timeout(ioread32, val,
				val == ~0U || !(val & EDU_STATUS_COMPUTING),
				EDU_IDLE_POLL_US, EDU_IDLE_TIMEOUT_US, false,
				io + EDU_REG_STATUS);
	if (!ret)
		ret = read_poll_timeout(ioread32, val,
					val == ~0U || !(val & EDU_DMA_RUN),
					EDU_IDLE_POLL_US, EDU_IDLE_TIMEOUT_US,
					false, io + EDU_REG_DMA_CMD);
	if (ret) {
		pci_err(pdev, "migration: device still busy after %ds\n",
			EDU_IDLE_TIMEOUT_S);
		return ret;
	}
	if (val == ~0U) {
		pci_err(pdev, "migration: device does not answer\n");
		return -EIO;
	}
	return 0;
}

static int edu_quiesce(struct edu_vfio_pci_device *edev)
{
	void __iomem *io;
	u16 cmd;
	int ret;

	io = edu_bar_begin(edev, &cmd);
	if (IS_ERR(io))
		return PTR_ERR(io);
	ret = edu_wait_idle(edev, io);
	edu_bar_end(edev, cmd);
	return ret;
}

static int edu_save_regs(struct edu_vfio_pci_device *edev,
			 struct edu_mig_stream *s)
{
	void __iomem *io;
	u16 cmd;
	int ret;

	io = edu_bar_begin(edev, &cmd);
	if (IS_ERR(io))
		return PTR_ERR(io);
	/* The factorial register holds the argument until the result is in */
	ret = edu_wait_idle(edev, io);
	if (!ret) {
		s->hdr.magic = cpu_to_le32(EDU_MIG_MAGIC);
		s->hdr.version = cpu_to_le32(EDU_MIG_VERSION);
		s->hdr.length = cpu_to_le32(sizeof(s->regs));
		s->regs.liveness = cpu_to_le32(ioread32(io + EDU_REG_LIVENESS));
		s->regs.fact = cpu_to_le32(ioread32(io + EDU_REG_FACT));
		s->regs.status = cpu_to_le32(ioread32(io + EDU_REG_STATUS) &
					     EDU_STATUS_IRQFACT);
	}
	edu_bar_end(edev, cmd);
	return ret;
}

/*
 * The factorial register cannot be written with a value: a write starts
 * computing the factorial of it.  Find the argument that settles at
 * @value.
 */
static int edu_fact_arg(u32 value, u32 *arg)
{
	u32 n, fact = 1;

	for (n = 0; n <= EDU_FACT_ARG_MAX; n++) {
		if (n)
			fact *= n;
		if (fact == value) {
			*arg = n;
			return 0;
		}
	}
	return -EINVAL;
}

static int edu_check_stream(struct pci_dev *pdev,
			    const struct edu_mig_stream *s, u32 *fact_arg)
{
	u32 status = le32_to_cpu(s->regs.status);
	u32 fact = le32_to_cpu(s->regs.fact);
	int ret;

	ret = edu_check_header(pdev, &s->hdr);
	if (ret)
		return ret;
	if ((status & ~EDU_STATUS_IRQFACT) || s->regs.reserved) {
		pci_err(pdev, "migration stream refused: bad status %#x\n",
			status);
		return -EINVAL;
	}
	if (edu_fact_arg(fact, fact_arg)) {
		pci_err(pdev, "migration stream refused: factorial register %#x is no factorial\n",
			fact);
		return -EINVAL;
	}
	return 0;
}

/*
 * RESUMING -> STOP.  A stream that is incomplete or invalid is refused
 * before the device is touched, and the device stays in RESUMING; a
 * device that fails while it is being written goes to ERROR.
 */
static int edu_load_state(struct edu_vfio_pci_device *edev)
{
	struct edu_mig_file *migf = edev->resuming;
	struct pci_dev *pdev = edu_pdev(edev);
	struct edu_mig_stream s;
	u32 arg, liveness, fact, status;
	bool refused, complete;
	void __iomem *io;
	u16 cmd;
	int ret;

	mutex_lock(&migf->lock);
	refused = migf->refused;
	complete = migf->len == EDU_MIG_STREAM_SIZE;
	memcpy(&s, migf->buf, sizeof(s));
	mutex_unlock(&migf->lock);

	if (refused)
		return -EINVAL;
	if (!complete) {
		pci_err(pdev, "migration stream refused: truncated\n");
		return -EINVAL;
	}
	ret = edu_check_stream(pdev, &s, &arg);
	if (ret)
		return ret;
	liveness = le32_to_cpu(s.regs.liveness);
	fact = le32_to_cpu(s.regs.fact);
	status = le32_to_cpu(s.regs.status);

	io = edu_bar_begin(edev, &cmd);
	if (IS_ERR(io))
		return PTR_ERR(io);
	ret = edu_wait_idle(edev, io);
	if (ret)
		goto out;
	/* No completion interrupt for the factorial recomputed here */
	iowrite32(0, io + EDU_REG_STATUS);
	iowrite32(arg, io + EDU_REG_FACT);
	ret = edu_wait_idle(edev, io);
	if (ret)
		goto fail;
	iowrite32(~liveness, io + EDU_REG_LIVENESS);
	iowrite32(status, io + EDU_REG_STATUS);
	if (ioread32(io + EDU_REG_FACT) != fact ||
	    ioread32(io + EDU_REG_LIVENESS) != liveness ||
	    (ioread32(io + EDU_REG_STATUS) & EDU_STATUS_IRQFACT) != status) {
		pci_err(pdev, "migration: device did not take its state\n");
		ret = -EIO;
		goto fail;
	}
	goto out;
fail:
	edev->mig_state = VFIO_DEVICE_STATE_ERROR;
out:
	edu_bar_end(edev, cmd);
	return ret;
}

/* One arc of the FSM; vfio_mig_get_next_state() picks them */
static struct file *
edu_step_state(struct edu_vfio_pci_device *edev,
	       enum vfio_device_mig_state next)
{
	enum vfio_device_mig_state cur = edev->mig_state;
	struct edu_mig_stream s = {};
	struct edu_mig_file *migf;
	int ret;

	lockdep_assert_held(&edev->state_mutex);
	if (cur == VFIO_DEVICE_STATE_RUNNING &&
	    next == VFIO_DEVICE_STATE_STOP) {
		ret = edu_quiesce(edev);
		return ret ? ERR_PTR(ret) : NULL;
	}

	if (cur == VFIO_DEVICE_STATE_STOP &&
	    next == VFIO_DEVICE_STATE_RUNNING)
		return NULL;

	if (cur == VFIO_DEVICE_STATE_STOP &&
	    next == VFIO_DEVICE_STATE_STOP_COPY) {
		/* Read the device before there is a file to undo */
		ret = edu_save_regs(edev, &s);
		if (ret)
			return ERR_PTR(ret);
		migf = edu_mig_file_new(edev, &edu_save_fops, O_RDONLY);
		if (IS_ERR(migf))
			return ERR_CAST(migf);
		memcpy(migf->buf, &s, sizeof(s));
		migf->len = sizeof(s);
		edev->saving = migf;
		return migf->filp;
	}

	if (cur == VFIO_DEVICE_STATE_STOP_COPY &&
	    next == VFIO_DEVICE_STATE_STOP) {
		edu_disable_fds(edev);
		return NULL;
	}

	if (cur == VFIO_DEVICE_STATE_STOP &&
	    next == VFIO_DEVICE_STATE_RESUMING) {
		migf = edu_mig_file_new(edev, &edu_resume_fops, O_WRONLY);
		if (IS_ERR(migf))
			return ERR_CAST(migf);
		edev->resuming = migf;
		return migf->filp;
	}

	if (cur == VFIO_DEVICE_STATE_RESUMING &&
	    next == VFIO_DEVICE_STATE_STOP) {
		ret = edu_load_state(edev);
		if (ret)
			return ERR_PTR(ret);
		edu_disable_fds(edev);
		return NULL;
	}

	/* Only the arcs of STOP_COPY without P2P or PRE_COPY exist */
	return ERR_PTR(-EINVAL);
}

static struct file *
edu_set_state(struct vfio_device *core_vdev,
	      enum vfio_device_mig_state new_state)
{
	struct edu_vfio_pci_device *edev = to_edu(core_vdev);
	enum vfio_device_mig_state next;
	struct file *res = NULL;
	int ret;

	mutex_lock(&edev->state_mutex);
	while (new_state != edev->mig_state) {
		/* Only a reset leaves ERROR */
		if (edev->mig_state == VFIO_DEVICE_STATE_ERROR) {
			res = ERR_PTR(-EIO);
			break;
		}
		ret = vfio_mig_get_next_state(core_vdev, edev->mig_state,
					      new_state, &next);
		if (ret) {
			res = ERR_PTR(ret);
			break;
		}
		res = edu_step_state(edev, next);
		if (IS_ERR(res))
			break;
		edev->mig_state = next;
		/* A data fd only comes with the state asked for */
		if (WARN_ON(res && new_state != next)) {
			fput(res);
			res = ERR_PTR(-EINVAL);
			break;
		}
	}
	edu_state_mutex_unlock(edev);
	return res;
}

static int edu_get_state(struct vfio_device *core_vdev,
			 enum vfio_device_mig_state *curr_state)
{
	struct edu_vfio_pci_device *edev = to_edu(core_vdev);

	mutex_lock(&edev->state_mutex);
	*curr_state = edev->mig_state;
	edu_state_mutex_unlock(edev);
	return 0;
}

static int edu_get_data_size(struct vfio_device *core_vdev,
			     unsigned long *stop_copy_length)
{
	*stop_copy_length = EDU_MIG_STREAM_SIZE;
	return 0;
}

static const struct vfio_migration_ops edu_mig_ops = {
	.migration_set_state = edu_set_state,
	.migration_get_state = edu_get_state,
	.migration_get_data_size = edu_get_data_size,
};

/* vfio_device_ops */

static int edu_init_dev(struct vfio_device *core_vdev)
{
	struct edu_vfio_pci_device *edev = to_edu(core_vdev);
	int ret;

	ret = vfio_pci_core_init_dev(core_vdev);
	if (ret)
		return ret;

	mutex_init(&edev->state_mutex);
	spin_lock_init(&edev->reset_lock);
	edev->mig_state = VFIO_DEVICE_STATE_RUNNING;
	core_vdev->migration_flags = VFIO_MIGRATION_STOP_COPY;
	core_vdev->mig_ops = &edu_mig_ops;
	return 0;
}

static void edu_release_dev(struct vfio_device *core_vdev)
{
	struct edu_vfio_pci_device *edev = to_edu(core_vdev);

	mutex_destroy(&edev->state_mutex);
	vfio_pci_core_release_dev(core_vdev);
}

static int edu_open_device(struct vfio_device *core_vdev)
{
	struct edu_vfio_pci_device *edev = to_edu(core_vdev);
	struct vfio_pci_core_device *vdev = &edev->core_device;
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;

	/*
	 * Map BAR0 the way the core does for the user's read()/write(), and
	 * before the user can reach the device: the core maps BARs lazily
	 * and without a lock, so mapping it later could race the user's
	 * first access.  The core then finds it mapped, and unmaps it in
	 * vfio_pci_core_disable().
	 */
	ret = vfio_pci_core_setup_barmap(vdev, EDU_BAR);
	if (ret) {
		vfio_pci_core_disable(vdev);
		return ret;
	}

	mutex_lock(&edev->state_mutex);
	edev->mig_state = VFIO_DEVICE_STATE_RUNNING;
	edu_state_mutex_unlock(edev);

	vfio_pci_core_finish_enable(vdev);
	return 0;
}

static void edu_close_device(struct vfio_device *core_vdev)
{
	struct edu_vfio_pci_device *edev = to_edu(core_vdev);

	mutex_lock(&edev->state_mutex);
	edu_disable_fds(edev);
	edu_state_mutex_unlock(edev);
	vfio_pci_core_close_device(core_vdev);
}

static const struct vfio_device_ops edu_vfio_pci_ops = {
	.name = "edu-vfio-pci",
	.init = edu_init_dev,
	.release = edu_release_dev,
	.open_device = edu_open_device,
	.close_device = edu_close_device,
	.ioctl = vfio_pci_core_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = vfio_pci_core_read,
	.write = vfio_pci_core_write,
	.mmap = vfio_pci_core_mmap,
	.request = vfio_pci_core_request,
	.match = vfio_pci_core_match,
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfio_iommufd_physical_attach_ioas,
	.detach_ioas = vfio_iommufd_physical_detach_ioas,
};

/* pci_driver */

static int edu_vfio_pci_probe(struct pci_dev *pdev,
			      const struct pci_device_id *id)
{
	struct edu_vfio_pci_device *edev;
	int ret;

	edev = vfio_alloc_device(edu_vfio_pci_device, core_device.vdev,
				 &pdev->dev, &edu_vfio_pci_ops);
	if (IS_ERR(edev))
		return PTR_ERR(edev);

	dev_set_drvdata(&pdev->dev, &edev->core_device);
	ret = vfio_pci_core_register_device(&edev->core_device);
	if (ret) {
		vfio_put_device(&edev->core_device.vdev);
		return ret;
	}
	return 0;
}

static void edu_vfio_pci_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

/* A reset puts the device back in RUNNING and ends any data session */
static void edu_vfio_pci_reset_done(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);
	struct edu_vfio_pci_device *edev = to_edu(&vdev->vdev);

	spin_lock(&edev->reset_lock);
	edev->deferred_reset = true;
	if (!mutex_trylock(&edev->state_mutex)) {
		spin_unlock(&edev->reset_lock);
		return;
	}
	spin_unlock(&edev->reset_lock);
	edu_state_mutex_unlock(edev);
}

static const struct pci_error_handlers edu_vfio_pci_err_handlers = {
	.reset_done = edu_vfio_pci_reset_done,
	.error_detected = vfio_pci_core_aer_err_detected,
};

/* Bound only through driver_override, never by matching alone */
static const struct pci_device_id edu_vfio_pci_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(EDU_VENDOR_ID, EDU_DEVICE_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, edu_vfio_pci_table);

static struct pci_driver edu_vfio_pci_driver = {
	.name = "edu_vfio_pci",
	.id_table = edu_vfio_pci_table,
	.probe = edu_vfio_pci_probe,
	.remove = edu_vfio_pci_remove,
	.err_handler = &edu_vfio_pci_err_handlers,
	.driver_managed_dma = true,
};
module_pci_driver(edu_vfio_pci_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TEST ONLY: VFIO PCI migration driver for QEMU's edu device");
