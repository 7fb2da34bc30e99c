/* A layer blob read ahead on a thread of its own (see import-private.h). The critical path of
 * a pull is its largest layer, read by one worker: its blob stream (the network, TLS, the
 * digest), gzip's inflate, then the tar entries hashed and written as ostree objects. This
 * moves the first half to a second thread, so one layer uses two CPUs. */
#include "import-private.h"

#include <isa-l/igzip_lib.h>
#include <string.h>

/* Chunks handed from the reader to the importer: large enough to keep the hand-overs rare,
 * few enough that a worker's memory stays flat (QUEUE_SLOTS x CHUNK_SIZE ahead at most). */
#define CHUNK_SIZE  (256 * 1024)
#define QUEUE_SLOTS 8
#define READ_SIZE   (64 * 1024)

struct _BerthPrefetch
{
  GInputStream *blob;
  GCancellable *cancellable; /* its own: cancelled by the caller's, and when the consumer stops */
  GCancellable *caller_cancellable;
  GThread *thread;

  GMutex lock;
  GCond cond;
  GBytes *slots[QUEUE_SLOTS];
  guint head, count;
  gboolean done;    /* the reader ended: EOF, or @error */
  gboolean stopped; /* the consumer went away */
  GError *error;
  guint64 blob_bytes;
  const char *compression; /* "gzip" when the reader inflates, else NULL; set before the
                              first chunk */

  GBytes *current; /* the chunk the consumer reads */
  gulong cancel_handler;
};

/* Queues @chunk (taking it); FALSE when the consumer stopped. */
static gboolean
push (BerthPrefetch *p, GBytes *chunk)
{
  g_mutex_lock (&p->lock);
  while (p->count == QUEUE_SLOTS && !p->stopped)
    g_cond_wait (&p->cond, &p->lock);
  gboolean ok = !p->stopped;
  if (ok)
    {
      p->slots[(p->head + p->count) % QUEUE_SLOTS] = chunk;
      p->count++;
      g_cond_broadcast (&p->cond);
    }
  else
    g_bytes_unref (chunk);
  g_mutex_unlock (&p->lock);
  return ok;
}

static void
finish (BerthPrefetch *p, GError *error)
{
  g_mutex_lock (&p->lock);
  p->done = TRUE;
  p->error = error;
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
}

static gboolean
stopped (BerthPrefetch *p)
{
  g_mutex_lock (&p->lock);
  gboolean s = p->stopped;
  g_mutex_unlock (&p->lock);
  return s;
}

/* One read of the blob; counts the bytes. */
static gssize
read_blob (BerthPrefetch *p, guint8 *buf, gsize size, GError **error)
{
  gssize n = g_input_stream_read (p->blob, buf, size, p->cancellable, error);
  if (n > 0)
    {
      g_mutex_lock (&p->lock);
      p->blob_bytes += (guint64)n;
      g_mutex_unlock (&p->lock);
    }
  return n;
}

/* The rest of the blob, to EOF: where its stream reports a digest mismatch. */
static gboolean
drain (BerthPrefetch *p, guint8 *buf, GError **error)
{
  gssize n;
  while ((n = read_blob (p, buf, READ_SIZE, error)) > 0)
    if (stopped (p))
      return TRUE;
  return n == 0;
}

/* Input for the inflater: unread bytes are moved to the front, then the blob is read after
 * them. */
typedef struct
{
  guint8 *buf;
  gsize pos, len;
  gboolean at_end;
} Input;

static gboolean
fill (BerthPrefetch *p, Input *in, GError **error)
{
  if (in->pos > 0)
    {
      memmove (in->buf, in->buf + in->pos, in->len - in->pos);
      in->len -= in->pos;
      in->pos = 0;
    }
  if (in->at_end || in->len == READ_SIZE)
    return TRUE;
  gssize n = read_blob (p, in->buf + in->len, READ_SIZE - in->len, error);
  if (n < 0)
    return FALSE;
  in->len += (gsize)n;
  in->at_end = n == 0;
  return TRUE;
}

/* ISA-L's return codes as words, for the error message. */
static const char *
isal_error_name (int rc, gboolean in_header)
{
  switch (rc)
    {
    case ISAL_INVALID_BLOCK:
      return "invalid deflate block";
    case ISAL_INVALID_SYMBOL:
      return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK:
      return "invalid lookback distance";
    case ISAL_INVALID_WRAPPER:
      return "not a gzip header";
    case ISAL_UNSUPPORTED_METHOD:
      return "compression method is not deflate";
    case ISAL_INCORRECT_CHECKSUM:
      return in_header ? "the member header's CRC-16 does not match"
                       : "CRC-32 of the data does not match the member's trailer";
    default:
      return "undecodable";
    }
}

/* Undecodable gzip: most often a corrupted blob, which its stream reports (a digest mismatch)
 * only at its end; that error says more than the inflater's, so the rest is read first. */
static gboolean
gzip_error (BerthPrefetch *p, Input *in, const char *why, GError **error)
{
  g_autoptr (GError) drain_error = NULL;
  if (!in->at_end && !drain (p, in->buf, &drain_error) && drain_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&drain_error));
      return FALSE;
    }
  return berth_throw (error, BERTH_ERROR_FAILED, "gzip data: %s", why);
}

/* Inflates gzip members (several in a row are one stream, as gzip(1) reads them) from @in and
 * the rest of the blob; after the last member, the rest is read and dropped, as libarchive
 * does. ISA-L's inflate (igzip), about five times zlib's speed on this kind of CPU (DESIGN.md
 * section 1b: 0.75 s against 3.7 s for the test image's largest layer): on one layer it is the
 * critical path of a pull.
 *
 * Each member's header is read with isal_read_gzip_header() and a header struct that lives
 * until the header is complete: isal_inflate() would parse it with a struct of its own per
 * call, which loses the header's flags when a name, extra field or header CRC is split across
 * two reads (and ISA-L 2.30's isal_gzip_header_init() leaves the flags unset), so it is
 * zeroed here instead. isal_inflate() then checks the member's CRC-32 and length trailer
 * (ISAL_GZIP, its wrapper marked read). */
static gboolean
inflate_blob (BerthPrefetch *p, Input *in, GError **error)
{
  /* ~40 KiB of tables and history: on the heap, not a thread's stack */
  g_autofree struct inflate_state *z = g_new (struct inflate_state, 1);
  isal_inflate_init (z);
  z->crc_flag = ISAL_GZIP;
  struct isal_gzip_header hdr = { 0 };
  gboolean in_header = TRUE;
  g_autofree guint8 *out = g_malloc (CHUNK_SIZE);
  gsize out_len = 0;
  while (TRUE)
    {
      if (in->pos == in->len && !fill (p, in, error))
        return FALSE;
      z->next_in = in->buf + in->pos;
      z->avail_in = (guint32)(in->len - in->pos);
      if (in_header)
        {
          int rc = isal_read_gzip_header (z, &hdr);
          in->pos = in->len - z->avail_in;
          if (rc == ISAL_END_INPUT && in->at_end)
            return gzip_error (p, in, "the blob ends inside a gzip member's header", error);
          if (rc == ISAL_END_INPUT)
            continue;
          if (rc != ISAL_DECOMP_OK)
            return gzip_error (p, in, isal_error_name (rc, TRUE), error);
          in_header = FALSE;
        }
      z->next_out = out + out_len;
      z->avail_out = (guint32)(CHUNK_SIZE - out_len);
      int rc = isal_inflate (z);
      gsize written = CHUNK_SIZE - out_len - z->avail_out;
      in->pos = in->len - z->avail_in;
      out_len += written;
      if (rc < 0)
        return gzip_error (p, in, isal_error_name (rc, FALSE), error);
      gboolean member_end = z->block_state == ISAL_BLOCK_FINISH;
      if (out_len == CHUNK_SIZE || (member_end && out_len > 0))
        {
          if (!push (p, g_bytes_new_take (g_steal_pointer (&out), out_len)))
            return TRUE;
          out = g_malloc (CHUNK_SIZE);
          out_len = 0;
        }
      if (!member_end)
        {
          /* all input in, room for output, and nothing came out: the blob ends mid-member */
          if (in->at_end && in->pos == in->len && written == 0 && z->avail_out > 0)
            return gzip_error (p, in, "the blob ends inside a gzip member", error);
          continue;
        }
      /* the end of a member: another one follows, or the compressed data ends here */
      while (in->len - in->pos < 2 && !in->at_end)
        if (!fill (p, in, error))
          return FALSE;
      if (in->len - in->pos >= 2 && in->buf[in->pos] == 0x1f && in->buf[in->pos + 1] == 0x8b)
        {
          isal_inflate_reset (z);
          z->crc_flag = ISAL_GZIP;
          hdr = (struct isal_gzip_header){ 0 };
          in_header = TRUE;
          continue;
        }
      return in->at_end || drain (p, in->buf, error);
    }
}

static gpointer
prefetch_thread (gpointer data)
{
  BerthPrefetch *p = data;
  g_autofree guint8 *buf = g_malloc (READ_SIZE);
  GError *error = NULL;
  /* the first bytes decide: gzip is inflated here, anything else (zstd, plain tar) goes to
   * libarchive as it is */
  Input in = { .buf = buf };
  gboolean ok = TRUE;
  while (ok && in.len < 2 && !in.at_end)
    ok = fill (p, &in, &error);
  if (ok && in.len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
    {
      p->compression = "gzip";
      ok = inflate_blob (p, &in, &error);
    }
  else if (ok)
    {
      gssize n = (gssize)in.len;
      while (n > 0)
        {
          if (!push (p, g_bytes_new (buf, (gsize)n)))
            break;
          n = read_blob (p, buf, READ_SIZE, &error);
        }
      ok = n >= 0;
    }
  finish (p, ok ? NULL : error);
  return NULL;
}

static void
cancel_ours (GCancellable *caller, gpointer ours)
{
  g_cancellable_cancel (ours);
}

BerthPrefetch *
berth_prefetch_start (GInputStream *blob, GCancellable *cancellable)
{
  BerthPrefetch *p = g_new0 (BerthPrefetch, 1);
  p->blob = g_object_ref (blob);
  p->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      p->caller_cancellable = g_object_ref (cancellable);
      p->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (cancel_ours),
                                                 g_object_ref (p->cancellable), g_object_unref);
    }
  g_mutex_init (&p->lock);
  g_cond_init (&p->cond);
  p->thread = g_thread_new ("berth-prefetch", prefetch_thread, p);
  return p;
}

gssize
berth_prefetch_read (BerthPrefetch *p, const void **out_buf, GError **error)
{
  g_clear_pointer (&p->current, g_bytes_unref);
  g_mutex_lock (&p->lock);
  while (p->count == 0 && !p->done)
    g_cond_wait (&p->cond, &p->lock);
  if (p->count > 0)
    {
      p->current = p->slots[p->head];
      p->slots[p->head] = NULL;
      p->head = (p->head + 1) % QUEUE_SLOTS;
      p->count--;
      g_cond_broadcast (&p->cond);
      g_mutex_unlock (&p->lock);
      gsize len;
      *out_buf = g_bytes_get_data (p->current, &len);
      return (gssize)len;
    }
  /* done and drained */
  GError *e = p->error;
  g_mutex_unlock (&p->lock);
  *out_buf = NULL;
  if (e != NULL)
    {
      g_propagate_error (error, g_error_copy (e));
      return -1;
    }
  return 0;
}

const char *
berth_prefetch_get_compression (BerthPrefetch *p)
{
  return p->compression;
}

guint64
berth_prefetch_get_blob_bytes (BerthPrefetch *p)
{
  g_mutex_lock (&p->lock);
  guint64 n = p->blob_bytes;
  g_mutex_unlock (&p->lock);
  return n;
}

void
berth_prefetch_free (BerthPrefetch *p)
{
  if (p == NULL)
    return;
  g_mutex_lock (&p->lock);
  p->stopped = TRUE;
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
  /* the reader may be waiting for the network: it gives up (in the normal case it has ended
   * already) */
  g_cancellable_cancel (p->cancellable);
  g_thread_join (p->thread);
  if (p->caller_cancellable != NULL)
    {
      g_cancellable_disconnect (p->caller_cancellable, p->cancel_handler);
      g_object_unref (p->caller_cancellable);
    }
  for (guint i = 0; i < p->count; i++)
    g_bytes_unref (p->slots[(p->head + i) % QUEUE_SLOTS]);
  g_clear_pointer (&p->current, g_bytes_unref);
  g_clear_error (&p->error);
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->cond);
  g_object_unref (p->blob);
  g_clear_object (&p->cancellable);
  g_free (p);
}
