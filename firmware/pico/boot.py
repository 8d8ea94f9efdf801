# Runs once at power-up: a second USB serial port for the samples ("data"), next to the console,
# so the REPL and error messages never mix with the frames (HARDWARE_FACTS.md).
import usb_cdc

usb_cdc.enable(console=True, data=True)
