/* The undo stack (see util-undo.h). */
#include "util-undo.h"

#include "util.h"

typedef struct
{
  BerthUndoWhen when;
  char *description;
  BerthUndoFunc func;
  gpointer data;
  GDestroyNotify destroy;
} Entry;

struct BerthUndo
{
  GArray *entries; /* of Entry, oldest first */
};

static void
entry_clear (Entry *e)
{
  if (e->destroy != NULL && e->data != NULL)
    e->destroy (e->data);
  g_free (e->description);
}

BerthUndo *
berth_undo_new (void)
{
  BerthUndo *undo = g_new0 (BerthUndo, 1);
  undo->entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  g_array_set_clear_func (undo->entries, (GDestroyNotify)entry_clear);
  return undo;
}

void
berth_undo_free (BerthUndo *undo)
{
  if (undo == NULL)
    return;
  g_array_unref (undo->entries);
  g_free (undo);
}

void
berth_undo_push (BerthUndo *undo, BerthUndoWhen when, const char *description, BerthUndoFunc func,
                 gpointer data, GDestroyNotify destroy)
{
  Entry e = { when, g_strdup (description), func, data, destroy };
  g_array_append_val (undo->entries, e);
}

void
berth_undo_keep (BerthUndo *undo)
{
  for (guint i = undo->entries->len; i-- > 0;)
    if (g_array_index (undo->entries, Entry, i).when == BERTH_UNDO_ON_FAILURE)
      g_array_remove_index (undo->entries, i);
}

static char **
run (BerthUndo *undo, gboolean failed, GError **first_error)
{
  g_autoptr (GStrvBuilder) done = g_strv_builder_new ();
  for (guint i = undo->entries->len; i-- > 0;)
    {
      Entry *e = &g_array_index (undo->entries, Entry, i);
      if (e->when == BERTH_UNDO_ON_FAILURE && !failed)
        continue;
      g_autoptr (GError) local_error = NULL;
      if (e->func (e->data, &local_error))
        g_strv_builder_add (done, e->description);
      else
        {
          g_autofree char *line
            = g_strdup_printf ("could not undo (%s): %s", e->description,
                               local_error ? local_error->message : "unknown error");
          g_strv_builder_add (done, line);
          if (first_error != NULL && *first_error == NULL)
            *first_error = g_error_new_literal (BERTH_ERROR, BERTH_ERROR_FAILED, line);
        }
    }
  g_array_set_size (undo->entries, 0);
  return g_strv_builder_end (done);
}

char **
berth_undo_run (BerthUndo *undo, gboolean failed)
{
  return run (undo, failed, NULL);
}

gboolean
berth_undo_finish (BerthUndo *undo, GError **error)
{
  g_autoptr (GError) first = NULL;
  g_auto (GStrv) done = run (undo, FALSE, &first);
  if (first == NULL)
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&first));
  return FALSE;
}
