/* plan.h - placeholder */
