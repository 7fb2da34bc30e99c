# kargs: kernel command line handling (parse, edit, bootc kargs.d and install config).
# Depends on util only; used by the installer's plan module, later by kickstart and dracut.
kargs_SRCS := $(wildcard kargs/*.c)
kargs_DEPS := util
kargs_LIBS :=
