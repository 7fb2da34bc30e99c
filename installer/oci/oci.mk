# oci: depends on util.
oci_SRCS := $(wildcard installer/oci/*.c)
oci_LIBS := $(PKGS_CURL) $(PKGS_JSON) $(LIBS_MBEDTLS)
