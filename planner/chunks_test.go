package planner

import (
	"bytes"
	"strings"
	"testing"
)

// TestAsyncRequests: Lambda bills an asynchronous event as 1 request for its first 256 KiB
// (262,144 B) and 1 more for each further 64 KiB (65,536 B) or part of one.
func TestAsyncRequests(t *testing.T) {
	const included, chunk = 262_144, 65_536
	tests := []struct {
		name  string
		bytes int64
		want  int64
	}{
		{"a small event", 1, 1},
		{"exactly 256 KiB", 262_144, 1},
		// 1 B over: one partial chunk.
		{"256 KiB + 1 B", 262_145, 2},
		// 262,144 + 65,536 = 327,680: exactly one further chunk.
		{"256 + 64 KiB", 327_680, 2},
		{"256 + 64 KiB + 1 B", 327_681, 3},
		// (1,048,576 - 262,144) / 65,536 = 786,432 / 65,536 = 12 chunks: 13 requests.
		{"1 MiB", 1_048_576, 13},
		// A 600,000 B compressed payload's record, 802,048 B: (802,048 - 262,144) / 65,536
		// = 539,904 / 65,536 = 8.24, so 9 chunks: 10 requests.
		{"a 600 KB payload's record", 802_048, 10},
	}
	for _, tc := range tests {
		if got := AsyncRequests(tc.bytes, included, chunk); got != tc.want {
			t.Errorf("%s: AsyncRequests(%d) = %d, want %d", tc.name, tc.bytes, got, tc.want)
		}
	}
}

// TestChunkRequestsPriced: a record over 256 KiB makes the writer's invocation cost more
// requests; the planner counts them in the destination topology's usage, prices them as a
// line of their own, and says so in the payload line. Other topologies carry no such record.
func TestChunkRequestsPriced(t *testing.T) {
	big := func(in *Input) { in.PayloadBytes, in.CompressedBytes = 800_000, 600_000 }
	tests := []struct {
		name     string
		mod      func(in *Input)
		billed   int64   // requests per delivery of the record
		chunks   int64   // destination's usage.asyncChunkRequests
		free     float64 // free chunk requests
		chunkUSD float64
	}{
		{
			// The record: 512 + 512 + 1,024 + 4 x ceil(600,000 / 3) = 2,048 + 800,000 = 802,048 B,
			// under the usable 1,048,576 - 52,428 = 996,148 B: 10 requests (TestAsyncRequests),
			// 9 beyond the one per invocation, x 4,380 runs = 39,420 chunk requests. Always
			// free: 1,000,000 free requests - 8,760 invocations = 991,240 left, covering them.
			name: "600 KB compressed, always free", mod: big, billed: 10, chunks: 39_420, free: 39_420, chunkUSD: 0,
		},
		{
			// Nothing free: 39,420 x $0.0000002 (Tokyo) = $0.007884.
			name: "600 KB compressed, nothing free", mod: func(in *Input) { big(in); in.FreeTier = NoFreeTier },
			billed: 10, chunks: 39_420, free: 0, chunkUSD: 0.007884,
		},
		{
			// 19 KB compressed: 2,048 + 4 x ceil(19,000 / 3) = 2,048 + 25,336 = 27,384 B: one request.
			name: "the seed's 19 KB", mod: func(in *Input) {}, billed: 1, chunks: 0,
		},
		{
			// 900,000 B compressed: 2,048 + 1,200,000 = 1,202,048 B does not fit the 996,148
			// usable; spilled, the writer gets a pointer: one request.
			name: "spilled", mod: func(in *Input) { in.PayloadBytes, in.CompressedBytes, in.Spill = 1_000_000, 900_000, true }, billed: 1, chunks: 0,
		},
		{
			// Before 2025-10-24 the limit was 262,144 B: the 802,048-B record cannot travel
			// (spilled), and an event over 256 KiB could not exist.
			name: "600 KB before the 1 MB limit", mod: func(in *Input) {
				big(in)
				in.Spill, in.AsOf, in.FreeTier = true, day("2025-06-01"), Legacy12Month
			}, billed: 1, chunks: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := seed()
			tc.mod(&in)
			r := mustPlan(t, in)
			if r.Payload.BilledRequests != tc.billed {
				t.Errorf("billed requests %d, want %d", r.Payload.BilledRequests, tc.billed)
			}
			for _, e := range r.Topologies {
				want := int64(0)
				if e.Name == Destination {
					want = tc.chunks
				}
				if e.Usage.AsyncChunkRequests != want {
					t.Errorf("%s: asyncChunkRequests %d, want %d", e.Name, e.Usage.AsyncChunkRequests, want)
				}
				var found *CostLine
				for i, l := range e.Lines {
					if strings.HasPrefix(l.Item, "Lambda requests for 64 KiB chunks of records over 256 KiB") {
						found = &e.Lines[i]
						if i != 1 {
							t.Errorf("%s: the chunk line is line %d, want it right after Lambda requests", e.Name, i)
						}
					}
				}
				if (found != nil) != (want > 0) {
					t.Fatalf("%s: chunk line %v, want one only with chunk requests", e.Name, found)
				}
				if found == nil {
					continue
				}
				if found.Quantity != float64(want) || found.FreeQuantity != tc.free || !near(found.MonthlyUSD, tc.chunkUSD) ||
					!strings.HasSuffix(found.Item, "(9 per run)") {
					t.Errorf("%s: chunk line %+v; want %d requests, %v free, $%v", e.Name, *found, want, tc.free, tc.chunkUSD)
				}
			}
			var text bytes.Buffer
			if err := Render(&text, r, "text"); err != nil {
				t.Fatal(err)
			}
			says := strings.Contains(text.String(), "the writer's invocation with that record is billed as 10 requests")
			if says != (tc.billed == 10) {
				t.Errorf("report says the billing: %v, want %v", says, tc.billed == 10)
			}
		})
	}
}
