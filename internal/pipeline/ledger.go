package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lambdabridge/lambdabridge/handlers/blob"
	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/handlers/source"
	"github.com/lambdabridge/lambdabridge/handlers/writer"
)

// Identity is what makes a fetch distinct: the writer's unique key (source, fetched_at,
// sha256). FetchedAt is truncated to PostgreSQL's microseconds.
type Identity struct {
	Source    string
	FetchedAt time.Time
	SHA256    string
}

// identity is a fetch's identity as the ledger compares it. The source is taken without its
// query string (source.SafeURL), because that is all a relay's answer (writer.Stored) names,
// while rows and envelopes hold the URL as configured.
func identity(src string, at time.Time, sha string) Identity {
	return Identity{Source: source.SafeURL(src), FetchedAt: at.UTC().Truncate(time.Microsecond), SHA256: sha}
}

// Ledger records every fetch handed to the writer (a destination record entering the
// writer's queue, an S3 notification of a handoff object) and every fetch a relay stored.
// After the pipeline settles, the database must hold exactly these fetches, once each.
type Ledger struct {
	mu         sync.Mutex
	seen       map[Identity]int
	order      []Identity
	deliveries int
}

func newLedger() *Ledger { return &Ledger{seen: map[Identity]int{}} }

func (l *Ledger) add(id Identity) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.deliveries++
	if l.seen[id] == 0 {
		l.order = append(l.order, id)
	}
	l.seen[id]++
}

// handoff notes the fetch carried by a writer event: a destination record (envelope or
// pointer inside), or an S3 notification (the object is read, as the writer will).
func (l *Ledger) handoff(ctx context.Context, payload []byte, s3c *s3.Client) error {
	d, err := event.Route(payload)
	if err != nil {
		return fmt.Errorf("handoff not understood: %w", err)
	}
	switch {
	case d.Envelope != nil:
		l.add(identity(d.Envelope.Source, d.Envelope.FetchedAt, d.Envelope.SHA256))
	case d.Pointer != nil:
		l.add(identity(d.Pointer.Source, d.Pointer.FetchedAt, d.Pointer.SHA256))
	default:
		if s3c == nil {
			return fmt.Errorf("S3 notification but no S3 server")
		}
		st := &blob.Store{Client: s3c, Bucket: Bucket}
		for _, o := range d.Objects {
			e, err := st.GetKey(ctx, o.Bucket, o.Key)
			if err != nil {
				return fmt.Errorf("read s3://%s/%s: %w", o.Bucket, o.Key, err)
			}
			l.add(identity(e.Source, e.FetchedAt, e.SHA256))
		}
	}
	return nil
}

// relayed notes the fetch a relay invocation stored (its response, writer.Stored).
func (l *Ledger) relayed(resp []byte) {
	var s writer.Stored
	if json.Unmarshal(resp, &s) == nil && s.SHA256 != "" {
		l.add(identity(s.Source, s.FetchedAt, s.SHA256))
	}
}

// Expected returns the distinct fetches handed to the writer, in order of first handoff.
func (l *Ledger) Expected() []Identity {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Identity(nil), l.order...)
}

// Deliveries counts handoffs, duplicates included.
func (l *Ledger) Deliveries() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.deliveries
}

// Rows reads the identities of every row of the fetches table (none when the writer never
// created it).
func Rows(ctx context.Context, databaseURL string) ([]Identity, error) {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return nil, fmt.Errorf("rows: connect: %w", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT source, fetched_at, sha256 FROM fetches ORDER BY id`)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table: the writer never ran
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rows: %w", err)
	}
	var out []Identity
	for rows.Next() {
		var src, sha string
		var at time.Time
		if err := rows.Scan(&src, &at, &sha); err != nil {
			return nil, fmt.Errorf("rows: scan: %w", err)
		}
		out = append(out, identity(src, at, sha))
	}
	return out, rows.Err()
}

// Audit compares what was handed off with what is stored.
type Audit struct {
	Expected   int        // distinct fetches handed to the writer
	Rows       int        // rows in fetches
	Lost       []Identity // handed off, not stored
	Unexpected []Identity // stored, never handed off
	Duplicated int        // rows beyond one per identity
}

// OK is true when every fetch handed off is stored exactly once and nothing else is.
func (a Audit) OK() bool { return len(a.Lost) == 0 && len(a.Unexpected) == 0 && a.Duplicated == 0 }

// String summarises the audit.
func (a Audit) String() string {
	return fmt.Sprintf("expected %d distinct fetches, %d rows: %d lost, %d unexpected, %d duplicated", a.Expected, a.Rows, len(a.Lost), len(a.Unexpected), a.Duplicated)
}

// Compare audits rows against expected.
func Compare(expected, rows []Identity) Audit {
	a := Audit{Expected: len(expected), Rows: len(rows)}
	stored := map[Identity]int{}
	for _, r := range rows {
		stored[r]++
		if stored[r] > 1 {
			a.Duplicated++
		}
	}
	want := map[Identity]bool{}
	for _, e := range expected {
		want[e] = true
		if stored[e] == 0 {
			a.Lost = append(a.Lost, e)
		}
	}
	for r := range stored {
		if !want[r] {
			a.Unexpected = append(a.Unexpected, r)
		}
	}
	sort.Slice(a.Unexpected, func(i, j int) bool { return a.Unexpected[i].FetchedAt.Before(a.Unexpected[j].FetchedAt) })
	return a
}
