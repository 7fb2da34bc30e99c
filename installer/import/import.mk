# import: depends on oci util.
import_SRCS := $(wildcard installer/import/*.c)
import_LIBS := $(PKGS_OSTREE) $(PKGS_ARCHIVE)
