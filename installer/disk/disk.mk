# disk: its direct dependencies in disk_DEPS, its libraries in disk_LIBS.
disk_SRCS := $(wildcard installer/disk/*.c)
disk_DEPS := util
disk_LIBS := $(PKGS_BLKID) $(PKGS_FDISK)
