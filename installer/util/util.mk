# util: the bottom module. Its mappers for curl, json, archive, blkid, fdisk and mbedtls are
# compiled here but only linked into a program when a module above uses them.
util_SRCS := $(wildcard installer/util/*.c)
util_DEPS :=
util_LIBS := $(PKGS_GLIB) $(PKGS_CURL) $(PKGS_JSON) $(PKGS_ARCHIVE) $(PKGS_BLKID) \
	$(PKGS_FDISK) $(LIBS_MBEDTLS)
