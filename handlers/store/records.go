package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/lambdabridge/lambdabridge/handlers/envelope"
)

// element is one records-mode array element: its position, key text and JSON.
type element struct {
	ord int
	key string
	doc []byte
}

// bodyType decides how a body is stored: jsonb for valid JSON that jsonb accepts, else bytea.
// jsonb rejects the escape \u0000; any body containing that six-byte sequence is kept as bytea
// (a literal "\\u0000" also matches: harmless, the bytes are kept exactly).
func bodyType(raw []byte) string {
	if json.Valid(raw) && !bytes.Contains(raw, []byte(`\u0000`)) {
		return BodyJSONB
	}
	return BodyBytea
}

// splitRecords parses raw as a JSON array of objects and extracts each element's key field as
// text: a string as is, a number or boolean as its JSON literal. Errors name the element.
func splitRecords(raw []byte, keyField string) ([]element, error) {
	var arr []json.RawMessage
	if err := json.Unmarshal(raw, &arr); err != nil {
		return nil, fmt.Errorf("body is not a JSON array (RECORDS_KEY=%q needs a top-level array of objects): %w", keyField, err)
	}
	elems := make([]element, 0, len(arr))
	for i, doc := range arr {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(doc, &obj); err != nil || obj == nil {
			return nil, fmt.Errorf("element %d is not a JSON object", i)
		}
		v, ok := obj[keyField]
		if !ok {
			return nil, fmt.Errorf("element %d has no field %q", i, keyField)
		}
		key, err := keyText(v)
		if err != nil {
			return nil, fmt.Errorf("element %d field %q: %w", i, keyField, err)
		}
		if bytes.Contains(doc, []byte(`\u0000`)) {
			return nil, fmt.Errorf("element %d contains the escape \\u0000, which PostgreSQL jsonb cannot store", i)
		}
		elems = append(elems, element{ord: i, key: key, doc: doc})
	}
	return elems, nil
}

func keyText(v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0 || string(v) == "null":
		return "", errors.New("is null")
	case v[0] == '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("bad string: %w", err)
		}
		return s, nil
	case v[0] == '{' || v[0] == '[':
		return "", errors.New("is an object or array (want a string, number or boolean)")
	default:
		return string(v), nil // number or boolean literal
	}
}

// upsertRecords COPYs the elements into a temporary table and upserts them into table in
// one statement. It runs inside the caller's transaction.
func upsertRecords(ctx context.Context, tx pgx.Tx, table string, elems []element, fetchID int64, e *envelope.Envelope) (int64, error) {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE lb_records_in (ord integer NOT NULL, key text NOT NULL, doc jsonb NOT NULL) ON COMMIT DROP`); err != nil {
		return 0, fmt.Errorf("records: create temp table: %w", err)
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"lb_records_in"}, []string{"ord", "key", "doc"},
		pgx.CopyFromSlice(len(elems), func(i int) ([]any, error) {
			return []any{int32(elems[i].ord), elems[i].key, string(elems[i].doc)}, nil
		}))
	if err != nil {
		return 0, fmt.Errorf("records: copy %d elements: %w", len(elems), err)
	}
	if n != int64(len(elems)) {
		return 0, fmt.Errorf("records: copied %d of %d elements", n, len(elems))
	}
	t := ident(table)
	// A row is replaced only by a run at least as new as the one that wrote it: the run time
	// of a fetches row is its scheduled time, or its fetched_at for a run started by hand.
	tag, err := tx.Exec(ctx, `INSERT INTO `+t+` AS r (key, doc, fetch_id, source, fetched_at)
		SELECT DISTINCT ON (key) key, doc, $1, $2, $3 FROM lb_records_in ORDER BY key, ord DESC
		ON CONFLICT (key) DO UPDATE SET doc = EXCLUDED.doc, fetch_id = EXCLUDED.fetch_id,
			source = EXCLUDED.source, fetched_at = EXCLUDED.fetched_at, updated_at = now()
		WHERE coalesce((SELECT coalesce(f.scheduled_at, f.fetched_at) FROM fetches f WHERE f.id = r.fetch_id), r.fetched_at) <= $4`,
		fetchID, e.Source, e.FetchedAt, e.RunTime())
	if err != nil {
		return 0, fmt.Errorf("records: upsert into %s: %w", table, err)
	}
	return tag.RowsAffected(), nil
}
