/* render.h - placeholder */
