/* cert.c - placeholder, being written */
#include "config.h"
