# The devices of the vlpi-mig test bed's virt machine, for
# configure --without-default-devices --with-devices-aarch64=vlpi-bed
# (build.sh copies this file into configs/devices/aarch64-softmmu/).
# ARM_VIRT selects the GICv3/ITS, PL011, PL031, PL061, virtio-mmio,
# fw_cfg, pflash, the PCIe host bridge (gpex) and the SMMUv3.
CONFIG_ARM_VIRT=y
# -device edu, -device nvme (the bed and the bench), -device
# virtio-serial-device with virtconsole (the results console)
CONFIG_EDU=y
CONFIG_NVME_PCI=y
CONFIG_VIRTIO_SERIAL=y
CONFIG_VIRTIO_PCI=y
# -device pcie-root-port: an edu behind one has a secondary bus reset,
# which a cpr-transfer's new QEMU need not use (run-bed.sh)
CONFIG_PCIE_PORT=y
