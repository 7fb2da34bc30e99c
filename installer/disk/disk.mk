# disk: depends on util.
disk_SRCS := $(wildcard installer/disk/*.c)
disk_LIBS := $(PKGS_BLKID) $(PKGS_FDISK)
