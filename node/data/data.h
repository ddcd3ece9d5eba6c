/* node/data entry point: the keyspace and every data command. */
#ifndef KEEL_DATA_H
#define KEEL_DATA_H

/* Creates the databases, registers the data commands, INFO sections and the
 * cron/before-poll hooks (active expiry).  Call after server_init(). */
void data_init(void);

#endif
