# oci: its direct dependencies in oci_DEPS, its libraries in oci_LIBS.
oci_SRCS := $(wildcard installer/oci/*.c)
oci_DEPS := util
oci_LIBS := $(PKGS_CURL) $(PKGS_JSON) $(PKGS_ARCHIVE) $(PKGS_NETTLE)
