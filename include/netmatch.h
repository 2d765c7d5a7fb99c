/*
 * netmatch.h - the list matchers behind every host, domain and address
 * list, for the modules that use several: ip.h (address literals),
 * domain.h (domain names and domain sets, with the matching rules),
 * host_set.h and addr_set.h. Built once at config load, then read
 * concurrently by any thread; never a scan over the entries. Pure: no I/O,
 * no DNS, no libmilter.
 */
#ifndef RW_NETMATCH_H
#define RW_NETMATCH_H

#include "addr_set.h"
#include "domain.h"
#include "host_set.h"
#include "ip.h"

#endif
