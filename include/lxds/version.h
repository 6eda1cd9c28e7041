#ifndef LXDS_VERSION_H
#define LXDS_VERSION_H
#define LXDS_VERSION "0.1.0"
#endif
