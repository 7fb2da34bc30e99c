# boot: its direct dependencies in boot_DEPS, its libraries in boot_LIBS.
boot_SRCS := $(wildcard installer/boot/*.c)
boot_DEPS := deploy disk util
boot_LIBS := 
