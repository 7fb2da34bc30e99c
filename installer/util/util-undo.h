/* An undo stack: what a multi-step operation did, undone in reverse on the way out.
 *
 * Each step that changes something pushes how to undo it, with a description for the user
 * ("unmounted /tmp/berth-install-x/boot"). ALWAYS entries run on every way out (a mount, a loop
 * device: temporary by nature); ON_FAILURE entries only when the operation failed or was
 * interrupted (the partition table berth wrote). berth_undo_keep() is the point of no return:
 * the work is complete and its ON_FAILURE entries are dropped. The stack never takes a
 * GCancellable: a rollback runs to its end, whatever interrupted the work. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  BERTH_UNDO_ALWAYS,
  BERTH_UNDO_ON_FAILURE,
} BerthUndoWhen;

typedef gboolean (*BerthUndoFunc) (gpointer data, GError **error);

typedef struct BerthUndo BerthUndo;

BerthUndo *berth_undo_new (void);
void berth_undo_free (BerthUndo *undo);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthUndo, berth_undo_free)

/* Pushes @func (@data, freed with @destroy after it ran or was dropped). @description says
 * what running it does, in the past tense. */
void berth_undo_push (BerthUndo *undo, BerthUndoWhen when, const char *description,
                      BerthUndoFunc func, gpointer data, GDestroyNotify destroy);

/* The work is complete: drop every ON_FAILURE entry pushed so far, unrun. */
void berth_undo_keep (BerthUndo *undo);

/* Runs the entries in reverse (ON_FAILURE ones only when @failed) and empties the stack.
 * Returns what was done, one line each ("wiped the partition table of /dev/loop0"; a failed
 * one says "could not ...: why" and the rest still run). Free with g_strfreev. */
char **berth_undo_run (BerthUndo *undo, gboolean failed);

/* The way out of work that succeeded, for callers with nowhere to show what was done (a disk
 * opened for an edit): runs every ALWAYS entry in reverse, all of them even after one failed;
 * FALSE with the first failure. */
gboolean berth_undo_finish (BerthUndo *undo, GError **error);

G_END_DECLS
