/* ldif.h - placeholder */
