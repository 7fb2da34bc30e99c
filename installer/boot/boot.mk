# boot: depends on deploy disk util.
boot_SRCS := $(wildcard installer/boot/*.c)
boot_LIBS := 
