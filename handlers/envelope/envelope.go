// Package envelope is the codec every lambdabridge function uses to carry a fetched body:
// the raw bytes are gzip-compressed, checksummed (SHA-256 of the raw body) and wrapped with
// their metadata in a JSON document (the compressed body is base64 in JSON). Decoding checks
// the version, codec, both lengths and the checksum, and caps the decompressed size so that a
// gzip bomb is an error rather than an out-of-memory.
package envelope

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Version is the envelope format version this package writes and accepts.
const Version = 1

// CodecGzip is the only codec this package writes and accepts: an RFC 1952 gzip stream with an
// empty header (no name, no modification time), so the same raw bytes always compress to the
// same compressed bytes.
const CodecGzip = "gzip"

// Level is the gzip level Compress uses: 9 (gzip.BestCompression). BenchmarkLevels on
// testdata/sample.json (278,715 bytes of JSON API records) on the 2-core build machine gave:
//
//	level  compressed  ratio  base64   MB/s (contended; median of 3)
//	  1      60,821    4.58   81,096   146
//	  4      53,036    5.26   70,716    70
//	  6      48,694    5.72   64,928    53
//	  7      47,134    5.91   62,848    33
//	  9      46,875    5.95   62,500    17-27
//
// Level 9 carries 3.9% more raw JSON than the default level 6 under the same record limit
// (5.95/5.72) for ~10 ms more CPU per 279 KB document on a full core — negligible next to
// the network fetch and far inside the free tier at one fetch every few minutes.
const Level = gzip.BestCompression

// PointerKind is the value of Pointer.Kind.
const PointerKind = "s3-pointer"

// Envelope is one fetched body with its metadata, as carried in a destination record or S3 object.
type Envelope struct {
	Version          int       `json:"version"`
	Source           string    `json:"source"`
	FetchedAt        time.Time `json:"fetchedAt"`
	Status           int       `json:"status"`
	ContentType      string    `json:"contentType"`
	Codec            string    `json:"codec"` // "gzip"
	RawLength        int64     `json:"rawLength"`
	CompressedLength int64     `json:"compressedLength"`
	SHA256           string    `json:"sha256"` // hex SHA-256 of the raw body
	Body             []byte    `json:"body"`   // compressed; base64 in JSON
	// ScheduledAt is the time the schedule's run that fetched this was scheduled for (the
	// run's identity: the store keeps one row per scheduled run); nil for a run started by
	// hand, which keeps the per-fetch identity (source, fetchedAt, sha256).
	ScheduledAt *time.Time `json:"scheduledAt,omitempty"`
	// ExecutionID is the schedule's execution id of that run ("" when started by hand).
	ExecutionID string `json:"executionId,omitempty"`
}

// RunTime is when the fetch's run belongs in time: its scheduled time, or for a run started
// by hand its fetch time. Records mode orders fetches by it.
func (e *Envelope) RunTime() time.Time {
	if e.ScheduledAt != nil {
		return *e.ScheduledAt
	}
	return e.FetchedAt
}

// Pointer refers to an S3 object that holds an Envelope's JSON.
type Pointer struct {
	Kind             string    `json:"kind"` // always PointerKind
	Bucket           string    `json:"bucket"`
	Key              string    `json:"key"`
	SHA256           string    `json:"sha256"`
	RawLength        int64     `json:"rawLength"`
	CompressedLength int64     `json:"compressedLength"`
	Source           string    `json:"source"`
	FetchedAt        time.Time `json:"fetchedAt"`
	// ScheduledAt and ExecutionID are the envelope's (see Envelope).
	ScheduledAt *time.Time `json:"scheduledAt,omitempty"`
	ExecutionID string     `json:"executionId,omitempty"`
}

// Meta is the metadata Encode records next to the body.
type Meta struct {
	Source      string
	FetchedAt   time.Time
	Status      int
	ContentType string
	// ScheduledAt (zero: a run started by hand) and ExecutionID name the scheduled run.
	ScheduledAt time.Time
	ExecutionID string
}

// Compress gzip-compresses raw at Level with an empty gzip header. The output is deterministic.
func Compress(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(raw)/4 + 64)
	zw, err := gzip.NewWriterLevel(&buf, Level)
	if err != nil {
		return nil, fmt.Errorf("envelope: gzip writer: %w", err)
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, fmt.Errorf("envelope: compress: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("envelope: compress: %w", err)
	}
	return buf.Bytes(), nil
}

// Checksum returns the lowercase hex SHA-256 of b, the form used in Envelope.SHA256.
func Checksum(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Encode compresses raw and returns its envelope. FetchedAt is stored in UTC.
func Encode(raw []byte, m Meta) (*Envelope, error) {
	body, err := Compress(raw)
	if err != nil {
		return nil, err
	}
	var scheduled *time.Time
	if !m.ScheduledAt.IsZero() {
		at := m.ScheduledAt.UTC()
		scheduled = &at
	}
	return &Envelope{
		ScheduledAt:      scheduled,
		ExecutionID:      m.ExecutionID,
		Version:          Version,
		Source:           m.Source,
		FetchedAt:        m.FetchedAt.UTC(),
		Status:           m.Status,
		ContentType:      m.ContentType,
		Codec:            CodecGzip,
		RawLength:        int64(len(raw)),
		CompressedLength: int64(len(body)),
		SHA256:           Checksum(raw),
		Body:             body,
	}, nil
}

// Validate checks the envelope's structure without decompressing: version, codec, the
// compressed length against the body, a non-negative raw length and a well-formed checksum.
func (e *Envelope) Validate() error {
	if e == nil {
		return errors.New("envelope: nil envelope")
	}
	if e.Version != Version {
		return fmt.Errorf("envelope: unsupported version %d (want %d)", e.Version, Version)
	}
	if e.Codec != CodecGzip {
		return fmt.Errorf("envelope: unsupported codec %q (want %q)", e.Codec, CodecGzip)
	}
	if e.CompressedLength != int64(len(e.Body)) {
		return fmt.Errorf("envelope: compressedLength %d does not match body length %d", e.CompressedLength, len(e.Body))
	}
	if e.RawLength < 0 {
		return fmt.Errorf("envelope: negative rawLength %d", e.RawLength)
	}
	if err := checkHex(e.SHA256); err != nil {
		return err
	}
	return nil
}

func checkHex(s string) error {
	if len(s) != sha256.Size*2 {
		return fmt.Errorf("envelope: sha256 %q is not %d hex digits", truncate(s, 80), sha256.Size*2)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("envelope: sha256 has a non lowercase-hex character at offset %d", i)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Decode validates the envelope and returns the raw body. maxRaw caps the decompressed size:
// an envelope declaring more than maxRaw bytes is refused before decompression, and
// decompression stops one byte past the declared raw length, so a gzip bomb costs at most
// rawLength+1 bytes of memory. maxRaw must be positive. The decompressed bytes must have exactly
// the declared length and SHA-256.
func (e *Envelope) Decode(maxRaw int64) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	if maxRaw <= 0 {
		return nil, fmt.Errorf("envelope: decompression cap must be positive, got %d", maxRaw)
	}
	if e.RawLength > maxRaw {
		return nil, fmt.Errorf("envelope: rawLength %d exceeds the decompression cap %d", e.RawLength, maxRaw)
	}
	zr, err := gzip.NewReader(bytes.NewReader(e.Body))
	if err != nil {
		return nil, fmt.Errorf("envelope: gzip header: %w", err)
	}
	defer zr.Close()
	limit := e.RawLength // ≤ maxRaw, checked above
	raw := make([]byte, 0, limit+1)
	buf := bytes.NewBuffer(raw)
	n, err := buf.ReadFrom(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, fmt.Errorf("envelope: decompress: %w", err)
	}
	if n > limit {
		return nil, fmt.Errorf("envelope: decompressed size exceeds cap: more than the declared rawLength %d (cap %d)", e.RawLength, maxRaw)
	}
	if n != e.RawLength {
		return nil, fmt.Errorf("envelope: decompressed %d bytes but rawLength is %d", n, e.RawLength)
	}
	out := buf.Bytes()
	if got := Checksum(out); got != e.SHA256 {
		return nil, fmt.Errorf("envelope: checksum mismatch: body hashes to %s, envelope says %s", got, e.SHA256)
	}
	return out, nil
}

// DecodeJSON parses a bare envelope document strictly (unknown fields, trailing data and a
// body that is not valid base64 are errors) and validates its structure. It does not
// decompress; call Decode for the body.
func DecodeJSON(data []byte) (*Envelope, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var e Envelope
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("envelope: decode JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("envelope: decode JSON: trailing data after the envelope object")
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return &e, nil
}
