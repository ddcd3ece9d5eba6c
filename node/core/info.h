/* INFO: the command, the built-in sections and the order sections print in.
 *
 * Owns: the built-in sections (server, clients, memory, persistence, stats,
 * replication, cpu, modules, commandstats, errorstats, latencystats,
 * cluster) and the rules for choosing and ordering sections.  The section
 * registry itself is server.info_sections (server_info_register).
 * Called by: main (info_init, after server_init), modules that own a
 * section (node/data registers "keyspace"; replication replaces
 * "replication"), and anything that wants the INFO text (crash reports).
 *
 * A section function appends only its "field:value\r\n" lines; INFO writes
 * the "# Title" header and the blank line between sections.  When two
 * entries share a name the one registered last is used, so a module may
 * call server_info_register() again (or info_replace_section()) to replace a
 * built-in section. */
#ifndef KEEL_INFO_H
#define KEEL_INFO_H

#include "buf.h"

/* Registers the INFO command and the built-in sections.  A built-in whose
 * name is already registered (a module came first) is not registered. */
void info_init(void);

/* Records used_memory_startup; main() calls it once start-up is done. */
void info_note_startup_memory(void);

/* Points the section `name` (case-insensitive) at fn, keeping its place and
 * its default/non-default status; registers it as a default section when no
 * section of that name exists yet. */
void info_replace_section(const char *name, void (*fn)(buf_t *out));

/* Appends the INFO text for the arguments of INFO (argv borrowed; argc 0 =
 * the default sections), exactly as the INFO command replies it. */
void info_generate(int argc, const char *const *argv, buf_t *out);

#endif
