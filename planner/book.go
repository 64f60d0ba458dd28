package planner

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// The price book is the only place a price, allowance or limit lives. It is
// embedded from book.json; a partial file of the same shape can override it
// (LoadBook). Every entry carries its value, unit, source URL, the date it takes
// effect and how sure we are of it. An item is a list of entries ordered by
// effectiveFrom; the entry in force on a day is the last one starting on or
// before that day.

//go:embed book.json
var embeddedBook []byte

// Item keys of the price book. Regional items must be present for every region;
// global items (limits and allowances, which do not vary by region) once.
const (
	ItemLambdaRequest      = "lambda.request"
	ItemLambdaGBSecondArm  = "lambda.gbSecond.arm64"
	ItemLambdaGBSecondX86  = "lambda.gbSecond.x86_64"
	ItemS3Put              = "s3.put"
	ItemS3Get              = "s3.get"
	ItemS3Storage          = "s3.storage"
	ItemNATGatewayHour     = "natGateway.hour"
	ItemNATGatewayGB       = "natGateway.gb"
	ItemEC2NanoHour        = "ec2.t4gNano.hour"
	ItemEBSGp3             = "ebs.gp3"
	ItemPublicIPv4Hour     = "publicIPv4.hour"
	ItemLogsIngest         = "logs.ingest"
	ItemRDSMicroHour       = "rds.t4gMicro.hour"
	ItemRDSGp3             = "rds.gp3"
	ItemSchedulerInvoke    = "scheduler.invocation"
	ItemSQSRequest         = "sqs.request"
	ItemCloudWatchAlarm    = "cloudwatch.alarm"
	ItemCloudWatchMetric   = "cloudwatch.metric"
	ItemSNSEmail           = "sns.email"
	ItemAsyncPayloadLimit  = "lambda.asyncPayloadLimit"
	ItemFreeLambdaRequests = "free.lambda.requests"
	ItemFreeLambdaGBs      = "free.lambda.gbSeconds"
	ItemFreeLogsGB         = "free.logs.ingestGB"
	ItemFreeScheduler      = "free.scheduler.invocations"
	ItemFreeSQS            = "free.sqs.requests"
	ItemFreeAlarms         = "free.cloudwatch.alarms"
	ItemFreeMetrics        = "free.cloudwatch.metrics"
	ItemFreeSNSEmail       = "free.sns.email"
	ItemBudgetDay          = "budgets.budgetDay"
	ItemDataTransferIn     = "dataTransfer.in"
	ItemLegacyOffers       = "freeTier.legacy12MonthOffers"
	// ItemLegacyNewAccounts says whether an account created that day gets the 12-month
	// offers; the entry with value 0 starts on the free-tier cut-off (2025-07-15).
	ItemLegacyNewAccounts = "freeTier.legacyOffersForNewAccounts"
	ItemLegacyS3Puts      = "legacy.s3.puts"
	ItemLegacyS3Gets      = "legacy.s3.gets"
	ItemLegacyS3GB        = "legacy.s3.storageGB"
	ItemLegacyRDSHours    = "legacy.rds.hours"
	ItemLegacyRDSGB       = "legacy.rds.storageGB"
	ItemLegacyEBSGB       = "legacy.ebs.GB"
	ItemLegacyIPv4Hours   = "legacy.publicIPv4.hours"
	// ItemKMSRequest is the price of one AWS KMS request (a Decrypt of a SecureString
	// parameter on the reader's behalf), and ItemFreeKMSRequests the account's monthly
	// Always Free KMS requests.
	ItemKMSRequest      = "kms.request"
	ItemFreeKMSRequests = "free.kms.requests"
	// ItemSSMStandardParameter is a standard Parameter Store parameter's monthly price and
	// ItemSSMStandardThroughput the price of one API request at the standard throughput.
	ItemSSMStandardParameter  = "ssm.standardParameter"
	ItemSSMStandardThroughput = "ssm.standardThroughput"
)

// The async request billing (global items): ItemAsyncRequestIncludedBytes is the part of an
// asynchronous event billed as its one request (256 KiB), ItemAsyncRequestChunkBytes the
// further chunk billed as one more request each (64 KiB), up to the async payload limit.
const (
	ItemAsyncRequestIncludedBytes = "lambda.asyncRequestIncludedBytes"
	ItemAsyncRequestChunkBytes    = "lambda.asyncRequestChunkBytes"
)

// RegionalItems lists the items every region of the book must price.
var RegionalItems = []string{
	ItemLambdaRequest, ItemLambdaGBSecondArm, ItemLambdaGBSecondX86,
	ItemS3Put, ItemS3Get, ItemS3Storage,
	ItemNATGatewayHour, ItemNATGatewayGB, ItemEC2NanoHour, ItemEBSGp3, ItemPublicIPv4Hour,
	ItemLogsIngest, ItemRDSMicroHour, ItemRDSGp3, ItemSchedulerInvoke, ItemSQSRequest,
	ItemCloudWatchAlarm, ItemCloudWatchMetric, ItemSNSEmail,
}

// GlobalItems lists the items the book holds once for all regions.
var GlobalItems = []string{
	ItemAsyncPayloadLimit, ItemAsyncRequestIncludedBytes, ItemAsyncRequestChunkBytes,
	ItemFreeLambdaRequests, ItemFreeLambdaGBs, ItemFreeLogsGB, ItemFreeScheduler, ItemFreeSQS,
	ItemFreeAlarms, ItemFreeMetrics, ItemFreeSNSEmail, ItemBudgetDay, ItemDataTransferIn,
	ItemLegacyOffers, ItemLegacyNewAccounts, ItemLegacyS3Puts, ItemLegacyS3Gets, ItemLegacyS3GB,
	ItemLegacyRDSHours, ItemLegacyRDSGB, ItemLegacyEBSGB, ItemLegacyIPv4Hours,
	ItemKMSRequest, ItemFreeKMSRequests, ItemSSMStandardParameter, ItemSSMStandardThroughput,
}

// Confidence levels an entry may carry.
var confidences = map[string]bool{"confirmed": true, "secondary": true, "derived": true, "unverified": true}

// Entry is one dated value of a price-book item.
type Entry struct {
	// Value is the price (USD per unit), allowance (units per month) or limit.
	Value float64 `json:"value"`
	// Unit names what Value counts, e.g. "USD/hour", "bytes", "requests/month".
	Unit string `json:"unit"`
	// Source is the best URL stating the value.
	Source string `json:"source"`
	// EffectiveFrom (YYYY-MM-DD) is the first day the entry is in force.
	EffectiveFrom string `json:"effectiveFrom"`
	// Confidence is confirmed, secondary, derived or unverified (see the book's notes).
	Confidence string `json:"confidence"`
	// Derived says how the value was computed when it is not stated anywhere.
	Derived string `json:"derived,omitempty"`
	// Evidence is further support: a second URL or a quoted price-list line.
	Evidence string `json:"evidence,omitempty"`
	// Note is a remark for the reader.
	Note string `json:"note,omitempty"`
	// PriceList names the AWS Price List product and rate the value was read from, when
	// it was fetched with `plan prices` (the Price List Query API).
	PriceList *PriceListRef `json:"priceList,omitempty"`

	from time.Time
}

// PriceListRef identifies one rate of the AWS Price List: the product (SKU) of a
// service, its on-demand rate code, and the dates the Price List gives it.
type PriceListRef struct {
	// ServiceCode is the Price List service, e.g. "AmazonEC2".
	ServiceCode string `json:"serviceCode"`
	// SKU is the product's stock-keeping unit in the Price List.
	SKU string `json:"sku"`
	// RateCode is the price dimension's code: SKU.offerTermCode.dimension.
	RateCode string `json:"rateCode"`
	// UsageType is the product's usagetype attribute, e.g. "EUC1-NatGateway-Hours".
	UsageType string `json:"usageType"`
	// Unit is the Price List's unit of the rate, e.g. "Hrs"; Entry.Unit is the book's.
	Unit string `json:"unit"`
	// PublicationDate is when AWS published the Price List document (RFC 3339).
	PublicationDate string `json:"publicationDate"`
	// EffectiveDate is when the on-demand term took effect (RFC 3339).
	EffectiveDate string `json:"effectiveDate"`
}

// bookFile is the JSON shape of book.json and of an override prices file.
type bookFile struct {
	Schema  int                           `json:"schema"`
	Notes   []string                      `json:"notes,omitempty"`
	Global  map[string][]Entry            `json:"global"`
	Regions map[string]map[string][]Entry `json:"regions"`
}

// Book is the loaded, validated price book.
type Book struct {
	f bookFile
}

// LoadBook returns the embedded price book, with the entries of overrideFile (if
// not empty) added to the book's: an item given in the override file takes its entries
// from the override's first effectiveFrom on, and keeps the book's entries that start
// before it as history (withHistory), so --as-of still finds the book's prices for earlier
// days; a new region must price every regional item. The result is validated as a whole.
func LoadBook(overrideFile string) (*Book, error) {
	var f bookFile
	if err := decodeBook(embeddedBook, &f); err != nil {
		return nil, fmt.Errorf("embedded price book: %w", err)
	}
	if overrideFile != "" {
		raw, err := os.ReadFile(overrideFile)
		if err != nil {
			return nil, fmt.Errorf("prices file: %w", err)
		}
		var o bookFile
		if err := decodeBook(raw, &o); err != nil {
			return nil, fmt.Errorf("prices file %s: %w", overrideFile, err)
		}
		if o.Schema != 1 {
			return nil, fmt.Errorf("prices file %s: schema %d: want 1", overrideFile, o.Schema)
		}
		if err := merge(&f, o); err != nil {
			return nil, fmt.Errorf("prices file %s: %w", overrideFile, err)
		}
	}
	b := &Book{f: f}
	if err := b.validate(); err != nil {
		if overrideFile != "" {
			return nil, fmt.Errorf("price book with %s: %w", overrideFile, err)
		}
		return nil, fmt.Errorf("embedded price book: %w", err)
	}
	return b, nil
}

func decodeBook(raw []byte, f *bookFile) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(f); err != nil {
		return fmt.Errorf("decode JSON: %w", err)
	}
	return nil
}

func known(list []string, item string) bool {
	for _, k := range list {
		if k == item {
			return true
		}
	}
	return false
}

func merge(f *bookFile, o bookFile) error {
	for item, entries := range o.Global {
		if !known(GlobalItems, item) {
			return fmt.Errorf("global item %q is not a global item of the book (known: %s)", item, strings.Join(GlobalItems, ", "))
		}
		// Checked as the file gives them, so an error counts the file's entries.
		if err := validateEntries("global", item, append([]Entry(nil), entries...)); err != nil {
			return err
		}
		f.Global[item] = withHistory(f.Global[item], entries)
	}
	for region, items := range o.Regions {
		if f.Regions[region] == nil {
			f.Regions[region] = map[string][]Entry{}
		}
		for item, entries := range items {
			if !known(RegionalItems, item) {
				return fmt.Errorf("region %s: item %q is not a regional item of the book (known: %s)", region, item, strings.Join(RegionalItems, ", "))
			}
			if err := validateEntries(region, item, append([]Entry(nil), entries...)); err != nil {
				return err
			}
			f.Regions[region][item] = withHistory(f.Regions[region][item], entries)
		}
	}
	return nil
}

// withHistory is an item's entries with override's in force from override's first day on:
// the entries of history that start before that day stay, the others give way. An override
// whose first date does not parse is returned as it is, for validation to name.
func withHistory(history, override []Entry) []Entry {
	if len(override) == 0 {
		return override
	}
	first, err := time.Parse(time.DateOnly, override[0].EffectiveFrom)
	if err != nil {
		return override
	}
	var out []Entry
	for _, e := range history {
		if d, err := time.Parse(time.DateOnly, e.EffectiveFrom); err == nil && d.Before(first) {
			out = append(out, e)
		}
	}
	return append(out, override...)
}

func (b *Book) validate() error {
	if b.f.Schema != 1 {
		return fmt.Errorf("schema %d: want 1", b.f.Schema)
	}
	if len(b.f.Regions) == 0 {
		return errors.New("no regions")
	}
	for _, item := range GlobalItems {
		if err := validateEntries("global", item, b.f.Global[item]); err != nil {
			return err
		}
	}
	for item := range b.f.Global {
		if !known(GlobalItems, item) {
			return fmt.Errorf("global: unknown item %q", item)
		}
	}
	for region, items := range b.f.Regions {
		for _, item := range RegionalItems {
			if err := validateEntries(region, item, items[item]); err != nil {
				return err
			}
		}
		for item := range items {
			if !known(RegionalItems, item) {
				return fmt.Errorf("region %s: unknown item %q", region, item)
			}
		}
	}
	return nil
}

// validateEntries checks one item's entries in place and parses their dates.
func validateEntries(scope, item string, entries []Entry) error {
	if len(entries) == 0 {
		return fmt.Errorf("%s: item %s is missing", scope, item)
	}
	var prev time.Time
	for i := range entries {
		e := &entries[i]
		where := fmt.Sprintf("%s: %s entry %d", scope, item, i+1)
		d, err := time.Parse(time.DateOnly, e.EffectiveFrom)
		if err != nil {
			return fmt.Errorf("%s: effectiveFrom %q: want YYYY-MM-DD", where, e.EffectiveFrom)
		}
		if i > 0 && !d.After(prev) {
			return fmt.Errorf("%s: effectiveFrom %s is not after the previous entry's %s", where, e.EffectiveFrom, prev.Format(time.DateOnly))
		}
		if !strings.HasPrefix(e.Source, "https://") {
			return fmt.Errorf("%s: source %q: want an https:// URL", where, e.Source)
		}
		if e.Unit == "" {
			return fmt.Errorf("%s: unit is empty", where)
		}
		if e.Value < 0 {
			return fmt.Errorf("%s: value %v is negative", where, e.Value)
		}
		if !confidences[e.Confidence] {
			return fmt.Errorf("%s: confidence %q: want confirmed, secondary, derived or unverified", where, e.Confidence)
		}
		if e.Confidence == "derived" && e.Derived == "" {
			return fmt.Errorf("%s: derived entry does not say how (field \"derived\")", where)
		}
		if err := e.PriceList.validate(); err != nil {
			return fmt.Errorf("%s: priceList: %w", where, err)
		}
		e.from, prev = d, d
	}
	return nil
}

// validate checks that a Price List reference names its product, rate and dates.
func (r *PriceListRef) validate() error {
	if r == nil {
		return nil
	}
	for _, f := range []struct{ name, value string }{
		{"serviceCode", r.ServiceCode}, {"sku", r.SKU}, {"rateCode", r.RateCode},
		{"usageType", r.UsageType}, {"unit", r.Unit},
		{"publicationDate", r.PublicationDate}, {"effectiveDate", r.EffectiveDate},
	} {
		if f.value == "" {
			return fmt.Errorf("%s is empty", f.name)
		}
	}
	if !strings.HasPrefix(r.RateCode, r.SKU+".") {
		return fmt.Errorf("rateCode %q is not a rate of SKU %q", r.RateCode, r.SKU)
	}
	return nil
}

// Regions returns the regions the book prices, sorted.
func (b *Book) Regions() []string {
	out := make([]string, 0, len(b.f.Regions))
	for r := range b.f.Regions {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// HasRegion reports whether the book prices region.
func (b *Book) HasRegion(region string) bool {
	_, ok := b.f.Regions[region]
	return ok
}

// Lookup returns the entry of item in force on asOf. region is ignored for
// global items; for regional items an unknown region is an *InputError on FieldRegion
// listing the known ones. A day before the item's first entry is an *InputError on
// FieldAsOf.
func (b *Book) Lookup(region, item string, asOf time.Time) (Entry, error) {
	var entries []Entry
	switch {
	case known(GlobalItems, item):
		entries = b.f.Global[item]
	case known(RegionalItems, item):
		items, ok := b.f.Regions[region]
		if !ok {
			return Entry{}, b.unknownRegion(region)
		}
		entries = items[item]
	default:
		return Entry{}, fmt.Errorf("price book: unknown item %q", item)
	}
	day := dateOf(asOf)
	for i := len(entries) - 1; i >= 0; i-- {
		if !entries[i].from.After(day) {
			return entries[i], nil
		}
	}
	d := day.Format(time.DateOnly)
	return Entry{}, inputErrorf(FieldAsOf, d, "the price book has no %s entry in force on %s (earliest %s)", item, d, entries[0].EffectiveFrom)
}

// unknownRegion is the *InputError on FieldRegion for a region the book does not price.
func (b *Book) unknownRegion(region string) error {
	return inputErrorf(FieldRegion, region, "%q is not in the price book; known regions: %s; %s", region, strings.Join(b.Regions(), ", "), FetchPricesHint(region))
}

// FetchPricesHint says which command fetches a region's prices from the AWS Price
// List and how to plan with them; unknown-region errors end with it.
func FetchPricesHint(region string) string {
	file := "prices-" + region + ".json"
	return fmt.Sprintf("fetch its prices with `go run ./cmd/plan prices --region %s --out %s`, then plan with --region %s --prices %s",
		region, file, region, file)
}

// AsyncPayloadLimit returns the asynchronous invocation payload limit in bytes in
// force on asOf (262,144 before 2025-10-24, 1,048,576 from then).
func (b *Book) AsyncPayloadLimit(asOf time.Time) (int64, error) {
	e, err := b.Lookup("", ItemAsyncPayloadLimit, asOf)
	if err != nil {
		return 0, err
	}
	return int64(e.Value), nil
}

// dateOf truncates t to its UTC calendar day.
func dateOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// History returns a copy of the entries of a regional item, oldest first, or nil when
// the book does not price that region.
func (b *Book) History(region, item string) []Entry {
	entries := b.f.Regions[region][item]
	if entries == nil {
		return nil
	}
	return append([]Entry(nil), entries...)
}

// AddEntry returns item history with e as its newest entry: the entries that start
// before e's effectiveFrom are kept (so --as-of still finds them), those that start on
// or after it are replaced by e, the newer statement of the same days. Adding the same
// entry twice gives the same history.
func AddEntry(history []Entry, e Entry) ([]Entry, error) {
	d, err := time.Parse(time.DateOnly, e.EffectiveFrom)
	if err != nil {
		return nil, fmt.Errorf("new entry: effectiveFrom %q: want YYYY-MM-DD", e.EffectiveFrom)
	}
	out := make([]Entry, 0, len(history)+1)
	for _, old := range history {
		od, err := time.Parse(time.DateOnly, old.EffectiveFrom)
		if err != nil {
			return nil, fmt.Errorf("history: effectiveFrom %q: want YYYY-MM-DD", old.EffectiveFrom)
		}
		if od.Before(d) {
			out = append(out, old)
		}
	}
	return append(out, e), nil
}

// EncodePrices writes a prices file (the shape --prices and lambdabridge:pricesFile
// read: schema 1, regional entries only) with each item's entries checked as the book
// checks them.
func EncodePrices(w io.Writer, notes []string, regions map[string]map[string][]Entry) error {
	for region, items := range regions {
		for item, entries := range items {
			if !known(RegionalItems, item) {
				return fmt.Errorf("region %s: item %q is not a regional item of the book", region, item)
			}
			if err := validateEntries(region, item, append([]Entry(nil), entries...)); err != nil {
				return err
			}
		}
	}
	raw, err := encodeBook(bookFile{Schema: 1, Notes: notes, Regions: regions})
	if err != nil {
		return err
	}
	_, err = w.Write(raw)
	return err
}

// UpdateBookFile adds fetched entries (region -> item -> entry) to the price-book file
// at path (planner/book.json for the maintainer) with AddEntry, so old values stay as
// history, checks the whole book and rewrites the file in the book's order.
func UpdateBookFile(path string, fetched map[string]map[string]Entry) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("price book: %w", err)
	}
	var f bookFile
	if err := decodeBook(raw, &f); err != nil {
		return fmt.Errorf("price book %s: %w", path, err)
	}
	if f.Regions == nil {
		f.Regions = map[string]map[string][]Entry{}
	}
	for region, items := range fetched {
		if f.Regions[region] == nil {
			f.Regions[region] = map[string][]Entry{}
		}
		for item, e := range items {
			if !known(RegionalItems, item) {
				return fmt.Errorf("region %s: item %q is not a regional item of the book", region, item)
			}
			h, err := AddEntry(f.Regions[region][item], e)
			if err != nil {
				return fmt.Errorf("region %s: %s: %w", region, item, err)
			}
			f.Regions[region][item] = h
		}
	}
	out, err := encodeBook(f)
	if err != nil {
		return err
	}
	// Check what is written, as LoadBook will read it.
	var check bookFile
	if err := decodeBook(out, &check); err != nil {
		return fmt.Errorf("price book %s: %w", path, err)
	}
	if err := (&Book{f: check}).validate(); err != nil {
		return fmt.Errorf("price book %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out, 0o644); err != nil {
		return fmt.Errorf("price book: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("price book: %w", err)
	}
	return nil
}

// orderedItems encodes an item map in the book's item order (RegionalItems or
// GlobalItems), then any other key sorted, so a regenerated book diffs by value.
type orderedItems struct {
	order []string
	items map[string][]Entry
}

func (o orderedItems) MarshalJSON() ([]byte, error) {
	keys := make([]string, 0, len(o.items))
	for _, k := range o.order {
		if _, ok := o.items[k]; ok {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range o.items {
		if !known(o.order, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	keys = append(keys, rest...)
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := writeJSON(&buf, k); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		if err := writeJSON(&buf, o.items[k]); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// orderedRegions encodes regions sorted by name, each region's items in book order.
type orderedRegions map[string]map[string][]Entry

func (r orderedRegions) MarshalJSON() ([]byte, error) {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := writeJSON(&buf, n); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		if err := writeJSON(&buf, orderedItems{RegionalItems, r[n]}); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// writeJSON appends v's JSON without HTML escaping (notes say "->", not "-\u003e").
func writeJSON(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode price book: %w", err)
	}
	buf.Truncate(buf.Len() - 1) // Encode's newline
	return nil
}

// encodeBook renders a book file: two-space indentation, global items in GlobalItems
// order, regions sorted, regional items in RegionalItems order.
func encodeBook(f bookFile) ([]byte, error) {
	doc := struct {
		Schema  int            `json:"schema"`
		Notes   []string       `json:"notes,omitempty"`
		Global  *orderedItems  `json:"global,omitempty"`
		Regions orderedRegions `json:"regions"`
	}{Schema: f.Schema, Notes: f.Notes, Regions: orderedRegions(f.Regions)}
	if len(f.Global) > 0 {
		doc.Global = &orderedItems{GlobalItems, f.Global}
	}
	if doc.Regions == nil {
		doc.Regions = orderedRegions{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode price book: %w", err)
	}
	return buf.Bytes(), nil
}
