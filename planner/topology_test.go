package planner

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestShapes holds each topology's parts, as infra provisions them, to what the topology
// is: the functions (scheduled first), the handoff, whether a bucket and the S3 gateway
// endpoint exist with spill off and on, and the egress.
func TestShapes(t *testing.T) {
	cases := []struct {
		topo                  Topology
		functions             []Role
		handoff               Handoff
		bucket, bucketSpill   bool
		egress                Egress
		onSuccessOfFetcher    Role
		single, recordLimited bool
	}{
		{Destination, []Role{Fetcher, Writer}, HandoffRecord, false, true, EgressNone, Writer, false, true},
		{S3, []Role{Fetcher, Writer}, HandoffObject, true, true, EgressNone, "", false, false},
		{NATGateway, []Role{Relay}, HandoffNone, false, false, EgressNATGateway, "", true, false},
		{NATInstance, []Role{Relay}, HandoffNone, false, false, EgressNATInstance, "", true, false},
		{IPv6, []Role{Relay}, HandoffNone, false, false, EgressIPv6, "", true, false},
	}
	if len(cases) != len(AllTopologies) {
		t.Fatalf("%d cases for %d topologies", len(cases), len(AllTopologies))
	}
	for _, tc := range cases {
		t.Run(string(tc.topo), func(t *testing.T) {
			s, err := ShapeOf(tc.topo)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.Functions, tc.functions) || s.Scheduled() != tc.functions[0] {
				t.Errorf("functions %v (scheduled %s), want %v", s.Functions, s.Scheduled(), tc.functions)
			}
			if s.Handoff != tc.handoff || s.Egress != tc.egress {
				t.Errorf("handoff %s egress %s, want %s %s", s.Handoff, s.Egress, tc.handoff, tc.egress)
			}
			if s.NeedsBucket(false) != tc.bucket || s.NeedsBucket(true) != tc.bucketSpill {
				t.Errorf("bucket %v/%v (spill off/on), want %v/%v", s.NeedsBucket(false), s.NeedsBucket(true), tc.bucket, tc.bucketSpill)
			}
			if s.NeedsS3Endpoint(true) != s.NeedsBucket(true) || s.NeedsS3Endpoint(false) != s.NeedsBucket(false) {
				t.Error("the S3 endpoint must exist exactly when the bucket does (the writer reads from the VPC)")
			}
			if got := s.OnSuccess(Fetcher); got != tc.onSuccessOfFetcher {
				t.Errorf("fetcher onSuccess %q, want %q", got, tc.onSuccessOfFetcher)
			}
			if s.SingleFunction() != tc.single || s.RecordLimited() != tc.recordLimited {
				t.Errorf("single %v record-limited %v, want %v %v", s.SingleFunction(), s.RecordLimited(), tc.single, tc.recordLimited)
			}
			for _, r := range s.Functions {
				f, err := FunctionOf(r)
				if err != nil {
					t.Fatal(err)
				}
				// A function that stores must be in the VPC (the database is private).
				if f.Stores && !f.InVPC {
					t.Errorf("%s stores but is not in the VPC", r)
				}
				// A function in the VPC that fetches needs an egress.
				if f.InVPC && f.Fetches && s.Egress == EgressNone {
					t.Errorf("%s fetches from inside the VPC but %s has no egress", r, tc.topo)
				}
			}
		})
	}
	if _, err := ShapeOf("nat-ipv4"); err == nil || !strings.Contains(err.Error(), "destination, ipv6, s3, nat-instance, nat-gateway") {
		t.Errorf("ShapeOf(unknown) = %v, want an error listing the topologies", err)
	}
}

// TestShapeAlarms counts each topology's alarms by hand: 2 per function (Errors,
// AsyncEventsDropped), 1 per function with a destination (every function has its onFailure
// one: DestinationDeliveryFailures), 1 record-size alarm for a record handoff, 1 on the
// dead-letter queue, 1 on the failure bucket where there is one.
func TestShapeAlarms(t *testing.T) {
	cases := []struct {
		topo Topology
		want int
	}{
		{Destination, 2*2 + 2 + 1 + 1 + 1}, // fetcher+writer, both destinations, record size, DLQ, failure bucket = 9
		{S3, 2*2 + 2 + 0 + 1 + 0},          // 7
		{NATGateway, 2*1 + 1 + 1},          // 4
		{NATInstance, 2*1 + 1 + 1},         // 4
		{IPv6, 2*1 + 1 + 1},                // 4
	}
	for _, tc := range cases {
		s, _ := ShapeOf(tc.topo)
		if got := len(s.Alarms()); got != tc.want {
			t.Errorf("%s: %d alarms %v, want %d", tc.topo, got, s.Alarms(), tc.want)
		}
		if got := DefaultGuardrails(tc.topo).Alarms; got != tc.want {
			t.Errorf("%s: DefaultGuardrails prices %d alarms, the shape lists %d", tc.topo, got, tc.want)
		}
	}
}

// TestShapeDescribe is the report's parts line.
func TestShapeDescribe(t *testing.T) {
	for topo, want := range map[Topology]string{
		Destination: "fetcher (no VPC) -> onSuccess record -> writer (VPC); egress none",
		S3:          "fetcher (no VPC) -> S3 object -> writer (VPC); egress none",
		NATInstance: "relay (VPC) fetches and stores; egress nat-instance",
		IPv6:        "relay (VPC) fetches and stores; egress egress-only-igw",
	} {
		s, _ := ShapeOf(topo)
		if got := s.Describe(); got != want {
			t.Errorf("%s: %q, want %q", topo, got, want)
		}
	}
}

// TestFreeTierCutoffFromBook: the date after which new accounts got no 12-month offers is
// the book's ItemLegacyNewAccounts entry, so a prices file that moves it moves the notes.
func TestFreeTierCutoffFromBook(t *testing.T) {
	override := `{"schema": 1, "global": {"freeTier.legacyOffersForNewAccounts": [
  {"value": 1, "unit": "flag", "source": "https://example.com/a", "effectiveFrom": "2023-01-01", "confidence": "confirmed"},
  {"value": 0, "unit": "flag", "source": "https://example.com/b", "effectiveFrom": "2025-08-20", "confidence": "confirmed"}]}, "regions": {}}`
	path := filepath.Join(t.TempDir(), "prices.json")
	if err := os.WriteFile(path, []byte(override), 0o644); err != nil {
		t.Fatal(err)
	}
	book, err := LoadBook(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		asOf, want string
	}{
		// Before the (moved) cut-off: legacy applies without a remark.
		{"2025-08-01", ""},
		// After it: the remark names the book's date, not 2025-07-15.
		{"2025-09-01", "accounts created before 2025-08-20"},
		// Once the offers are gone (book: 2026-07-15) the note names the cut-off too.
		{"2026-08-01", "went only to accounts created before 2025-08-20"},
	} {
		in := seed()
		in.FreeTier, in.AsOf = Legacy12Month, day(tc.asOf)
		r, err := Plan(in, book)
		if err != nil {
			t.Fatal(err)
		}
		notes := strings.Join(r.Notes, " | ")
		if tc.want == "" && strings.Contains(notes, "accounts created before") || tc.want != "" && !strings.Contains(notes, tc.want) {
			t.Errorf("as of %s: notes %q, want %q", tc.asOf, notes, tc.want)
		}
	}
}

// TestFailureRoutes: every failure record fits where it goes, for every size the planner
// accepts. A record's failure record carries the whole event; the writer behind a record
// handoff gets events up to the usable record size (996,148 B under today's 1 MiB limit), so
// its failure records (996,148 + 4,096 = 1,000,244 B) exceed the dead-letter queue's
// 262,144 B and go to the failure bucket; every other function's events are small.
func TestFailureRoutes(t *testing.T) {
	const limit = 1_048_576 // lambda.asyncPayloadLimit since 2025-10-24
	// 1,048,576 - 5% (52,428) = 996,148 B usable; + 4,096 = 1,000,244 B.
	const writerRecord = 1_048_576 - 52_428 + 4_096
	cases := []struct {
		topo Topology
		want []FailureRoute
	}{
		{Destination, []FailureRoute{
			{Fetcher, FailureQueue, 512 + 4096, DLQMaxMessageBytes}, // the schedule's event
			{Writer, FailureBucket, writerRecord, 0},
		}},
		{S3, []FailureRoute{
			{Fetcher, FailureQueue, 512 + 4096, DLQMaxMessageBytes},
			{Writer, FailureQueue, 2048 + 4096, DLQMaxMessageBytes}, // an S3 notification
		}},
		{NATGateway, []FailureRoute{{Relay, FailureQueue, 512 + 4096, DLQMaxMessageBytes}}},
		{NATInstance, []FailureRoute{{Relay, FailureQueue, 512 + 4096, DLQMaxMessageBytes}}},
		{IPv6, []FailureRoute{{Relay, FailureQueue, 512 + 4096, DLQMaxMessageBytes}}},
	}
	for _, tc := range cases {
		s, _ := ShapeOf(tc.topo)
		got := s.FailureRoutes(limit)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: routes %+v, want %+v", tc.topo, got, tc.want)
		}
		bucket := false
		for _, r := range got {
			switch r.Sink {
			case FailureQueue:
				if r.MaxRecordBytes > DLQMaxMessageBytes {
					t.Errorf("%s: %s's failure records (up to %d B) do not fit the queue's %d B", tc.topo, r.Function, r.MaxRecordBytes, DLQMaxMessageBytes)
				}
			case FailureBucket:
				bucket = true
				if r.MaxRecordBytes <= DLQMaxMessageBytes {
					t.Errorf("%s: %s goes to the bucket although its records fit the queue", tc.topo, r.Function)
				}
			}
		}
		if bucket != s.NeedsFailureBucket() {
			t.Errorf("%s: NeedsFailureBucket %v, routes use the bucket: %v", tc.topo, s.NeedsFailureBucket(), bucket)
		}
	}
}
