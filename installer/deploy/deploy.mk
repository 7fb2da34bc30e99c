# deploy: its direct dependencies in deploy_DEPS, its libraries in deploy_LIBS.
deploy_SRCS := $(wildcard installer/deploy/*.c)
deploy_DEPS := import disk util
deploy_LIBS := $(PKGS_OSTREE) -lcrypt
