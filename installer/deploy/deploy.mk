# deploy: depends on import disk util.
deploy_SRCS := $(wildcard installer/deploy/*.c)
deploy_LIBS := $(PKGS_OSTREE)
