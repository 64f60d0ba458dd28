package pricelist_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/internal/pricelist"
	"github.com/lambdabridge/lambdabridge/internal/pricelist/pricelisttest"
	"github.com/lambdabridge/lambdabridge/planner"
)

var bookDay = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

// frankfurt are hand-set figures for eu-central-1, each different from the us-east-1
// book figure of the same item, so a query that ignored regionCode would be caught.
var frankfurt = pricelisttest.Figures{
	planner.ItemLambdaRequest:     "0.0000002000",
	planner.ItemLambdaGBSecondArm: "0.0000133334",
	planner.ItemLambdaGBSecondX86: "0.0000166667",
	planner.ItemS3Put:             "0.0000054000",
	planner.ItemS3Get:             "0.0000004300",
	planner.ItemS3Storage:         "0.0245000000",
	planner.ItemNATGatewayHour:    "0.0520000000",
	planner.ItemNATGatewayGB:      "0.0520000000",
	planner.ItemEC2NanoHour:       "0.0048000000",
	planner.ItemEBSGp3:            "0.0952000000",
	planner.ItemPublicIPv4Hour:    "0.0050000000",
	planner.ItemLogsIngest:        "0.6300000000",
	planner.ItemRDSMicroHour:      "0.0190000000",
	planner.ItemRDSGp3:            "0.1370000000",
	planner.ItemSchedulerInvoke:   "0.0000011500",
	planner.ItemSQSRequest:        "0.0000004100",
	planner.ItemCloudWatchAlarm:   "0.1000000000",
	planner.ItemCloudWatchMetric:  "0.3000000000",
	planner.ItemSNSEmail:          "0.0000200000",
}

// serve starts a Price List holding us-east-1 (the book's figures) and eu-central-1
// (frankfurt), answering at most pageSize products a page, and loads a client the
// standard SDK way against it.
func serve(t *testing.T, pageSize int, extra ...pricelisttest.Product) (*pricelisttest.Server, *pricelist.Client) {
	t.Helper()
	b, err := planner.LoadBook("")
	if err != nil {
		t.Fatal(err)
	}
	use1, err := pricelisttest.BookFigures(b, "us-east-1", bookDay)
	if err != nil {
		t.Fatal(err)
	}
	products := append(pricelisttest.Catalogue(pricelisttest.USEast1, use1), pricelisttest.Catalogue(pricelisttest.EUCentral1, frankfurt)...)
	srv := pricelisttest.New(t, append(products, extra...)...)
	srv.PageSize = pageSize
	srv.Env(t)
	c, err := pricelist.Load(context.Background())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return srv, c
}

// TestSpecsCoverTheBook: every regional item of the planner has exactly one Spec, so an
// item added to the planner cannot be left out of `plan prices`.
func TestSpecsCoverTheBook(t *testing.T) {
	seen := map[string]int{}
	for _, s := range pricelist.Specs {
		seen[s.Item]++
		if s.ServiceCode == "" || len(s.Units) == 0 || s.BookUnit == "" || (s.UsageType == "" && len(s.Attributes) == 0) {
			t.Errorf("%s: incomplete spec %+v", s.Item, s)
		}
	}
	for _, item := range planner.RegionalItems {
		if seen[item] != 1 {
			t.Errorf("%s: %d specs, want 1", item, seen[item])
		}
		delete(seen, item)
	}
	for item := range seen {
		t.Errorf("spec for %s, which is not a regional item of the book", item)
	}
}

// TestResolveAllBookFigures runs the SDK's pricing client against the local Price List
// holding the book's us-east-1 figures: every item resolves to the book's value, with
// its SKU, rate code and dates, across pages of one product.
func TestResolveAllBookFigures(t *testing.T) {
	srv, c := serve(t, 1)
	b, _ := planner.LoadBook("")
	prices, err := c.ResolveAll(context.Background(), "us-east-1")
	if err != nil {
		t.Fatalf("ResolveAll: %v", err)
	}
	if len(prices) != len(planner.RegionalItems) {
		t.Fatalf("%d prices, want %d", len(prices), len(planner.RegionalItems))
	}
	for _, p := range prices {
		want, _ := b.Lookup("us-east-1", p.Item, bookDay)
		if p.USD != want.Value || p.BookUnit != want.Unit {
			t.Errorf("%s = %v %s, want the book's %v %s", p.Item, p.USD, p.BookUnit, want.Value, want.Unit)
		}
		if p.Region != "us-east-1" || p.SKU == "" || !strings.HasPrefix(p.RateCode, p.SKU+".JRTCKXETXF.") ||
			p.PublicationDate.Format(time.RFC3339) != pricelisttest.PublicationDate || p.EffectiveDate.Format(time.RFC3339) != pricelisttest.EffectiveDate {
			t.Errorf("%s: provenance %+v", p.Item, p)
		}
	}

	reqs := srv.Requests()
	// 19 items, each at least one page; several queries return two products (the usage
	// type "Request" is contained in "Request-ARM", "NatGateway-Hours" in
	// "RegionalNatGateway-Hours"), so at one product a page there are more calls.
	if len(reqs) <= len(planner.RegionalItems) {
		t.Errorf("%d GetProducts calls for %d items: pagination not exercised", len(reqs), len(planner.RegionalItems))
	}
	paged := 0
	for _, r := range reqs {
		if !strings.Contains(r.Authorization, "/us-east-1/pricing/aws4_request") {
			t.Errorf("signed for %q, want us-east-1 pricing whatever AWS_REGION says", r.Authorization)
		}
		if r.MaxResults != 100 || r.FormatVersion != "aws_v1" {
			t.Errorf("MaxResults %d FormatVersion %q", r.MaxResults, r.FormatVersion)
		}
		if r.NextToken != "" {
			paged++
		}
		if len(r.Filters) == 0 || r.Filters[0] != (pricelisttest.Filter{Type: "TERM_MATCH", Field: "regionCode", Value: "us-east-1"}) {
			t.Errorf("filters %+v: want regionCode us-east-1 first", r.Filters)
		}
	}
	if paged == 0 {
		t.Error("no call carried a NextToken")
	}
	// The NAT gateway hour query as sent: service code, region, usage type, family.
	var nat *pricelisttest.Request
	for i, r := range reqs {
		if r.ServiceCode == "AmazonEC2" && len(r.Filters) == 3 && r.Filters[1].Value == "NatGateway-Hours" && r.NextToken == "" {
			nat = &reqs[i]
		}
	}
	want := []pricelisttest.Filter{
		{Type: "TERM_MATCH", Field: "regionCode", Value: "us-east-1"},
		{Type: "CONTAINS", Field: "usagetype", Value: "NatGateway-Hours"},
		{Type: "TERM_MATCH", Field: "productFamily", Value: "NAT Gateway"},
	}
	if nat == nil || len(nat.Filters) != len(want) {
		t.Fatalf("no NAT gateway hour query among %d calls", len(reqs))
	}
	for i := range want {
		if nat.Filters[i] != want[i] {
			t.Errorf("NAT query filter %d = %+v, want %+v", i, nat.Filters[i], want[i])
		}
	}
}

// TestResolveFrankfurt works eu-central-1's entries out by hand from the figures.
func TestResolveFrankfurt(t *testing.T) {
	_, c := serve(t, 0)
	ctx := context.Background()
	tests := []struct {
		item      string
		usd       float64
		usageType string
		unit      string
		note      string
	}{
		// "0.0520000000" USD per Hrs = 0.052 USD/hour.
		{planner.ItemNATGatewayHour, 0.052, "EUC1-NatGateway-Hours", "Hrs", ""},
		// 0-1,000 notifications at 0 (the free allowance) are skipped: the first paid
		// tier, "0.0000200000" = $2.00 per 100,000 = 0.00002 USD/notification.
		{planner.ItemSNSEmail, 0.00002, "EUC1-DeliveryAttempts-SMTP", "Notifications", "free first 1000 Notifications"},
		// 14,000,000 free invocations skipped; "0.0000011500" = $1.15 per million.
		{planner.ItemSchedulerInvoke, 0.00000115, "EUC1-ScheduledInvocation", "Invocations", "free first 14000000 Invocations"},
		// Tiered storage: the first 50 TB tier (0-51,200 GB-Mo) is the price, 0.0245.
		{planner.ItemS3Storage, 0.0245, "EUC1-TimedStorage-ByteHrs", "GB-Mo", ""},
		// x86 duration, not the ARM product whose usage type contains it: 0.0000166667.
		{planner.ItemLambdaGBSecondX86, 0.0000166667, "EUC1-Lambda-GB-Second", "Lambda-GB-Second", ""},
		// PostgreSQL Single-AZ, not MySQL (0.017) nor Multi-AZ (0.032): 0.019.
		{planner.ItemRDSMicroHour, 0.019, "EUC1-InstanceUsage:db.t4g.micro", "Hrs", ""},
		// Linux, shared, used capacity: 0.0048, not RHEL, dedicated or a reservation.
		{planner.ItemEC2NanoHour, 0.0048, "EUC1-BoxUsage:t4g.nano", "Hrs", ""},
		// Standard queues outside us-east-1 are <prefix>-Requests-Tier1: 0.00000041.
		{planner.ItemSQSRequest, 0.00000041, "EUC1-Requests-Tier1", "Requests", ""},
	}
	for _, tt := range tests {
		t.Run(tt.item, func(t *testing.T) {
			spec, _ := pricelist.SpecFor(tt.item)
			p, err := c.Resolve(ctx, "eu-central-1", spec)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if p.USD != tt.usd || p.UsageType != tt.usageType || p.Unit != tt.unit {
				t.Errorf("got %v per %s from %s, want %v per %s from %s", p.USD, p.Unit, p.UsageType, tt.usd, tt.unit, tt.usageType)
			}
			e := p.Entry()
			if e.Value != tt.usd || e.EffectiveFrom != "2026-11-01" || e.Confidence != "confirmed" ||
				e.Source != "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/"+spec.ServiceCode+"/current/eu-central-1/index.json" {
				t.Errorf("entry %+v", e)
			}
			if e.PriceList == nil || e.PriceList.SKU != p.SKU || e.PriceList.RateCode != p.RateCode ||
				e.PriceList.PublicationDate != pricelisttest.PublicationDate || e.PriceList.EffectiveDate != pricelisttest.EffectiveDate {
				t.Errorf("entry's Price List reference %+v, want SKU %s rate %s and the document's dates", e.PriceList, p.SKU, p.RateCode)
			}
			if !strings.Contains(e.Note, tt.note) || (tt.note == "" && e.Note != "") {
				t.Errorf("note %q, want %q", e.Note, tt.note)
			}
		})
	}
}

// TestResolveRefuses: an item that is ambiguous, missing or in a unit the book would
// misread is an error naming the item, the query and the candidates.
func TestResolveRefuses(t *testing.T) {
	var nat pricelisttest.Product
	for _, p := range pricelisttest.Catalogue(pricelisttest.EUCentral1, frankfurt) {
		if p.Attributes["usagetype"] == "EUC1-NatGateway-Hours" {
			nat = p
		}
	}
	// A second product with the NAT gateway hour's usage type, told apart only by its
	// operation, at another price: which one is meant cannot be decided.
	natTwin := nat
	natTwin.SKU = "NATTWINSKU000001"
	natTwin.Attributes = map[string]string{}
	for k, v := range nat.Attributes {
		natTwin.Attributes[k] = v
	}
	natTwin.Attributes["operation"] = "NatGatewayProvisioned"
	natTwin.OnDemand = []pricelisttest.Term{{OfferTermCode: "JRTCKXETXF", EffectiveDate: pricelisttest.EffectiveDate,
		Dimensions: []pricelisttest.Dimension{{Code: "TWINRATE01", Unit: "Hrs", BeginRange: "0", EndRange: "Inf", Description: "twin", USD: "0.0600000000"}}}}

	// ap-northeast-1's catalogue prices its alarm per "Alarm-Hrs".
	tokyo := pricelisttest.Catalogue(pricelisttest.APNortheast1, frankfurt)
	for i, p := range tokyo {
		if p.Attributes["usagetype"] == "APN1-CW:AlarmMonitorUsage" {
			tokyo[i].OnDemand[0].Dimensions[0].Unit = "Alarm-Hrs"
		}
	}

	_, c := serve(t, 3, append([]pricelisttest.Product{natTwin}, tokyo...)...)
	ctx := context.Background()
	spec := func(item string) pricelist.Spec { s, _ := pricelist.SpecFor(item); return s }

	// Ambiguous.
	_, err := c.Resolve(ctx, "eu-central-1", spec(planner.ItemNATGatewayHour))
	var re *pricelist.ResolveError
	if !errors.As(err, &re) || len(re.Candidates) != 2 {
		t.Fatalf("twin NAT products: error %v, want a ResolveError with 2 candidates", err)
	}
	for _, want := range []string{"eu-central-1 natGateway.hour: 2 Price List rates match AmazonEC2 regionCode=eu-central-1 usagetype=[PREFIX-]NatGateway-Hours productFamily=\"NAT Gateway\"",
		"SKU NATTWINSKU000001", "SKU " + nat.SKU, `operation="NatGatewayProvisioned"`, `operation="NatGateway"`, "0.0600000000 USD per Hrs"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ambiguity error lacks %q:\n%v", want, err)
		}
	}

	// Missing: no Linux t4g.nano in ap-south-1 (not in the catalogue at all), and in
	// ap-northeast-1 an alarm unit the book would misread.
	_, err = c.Resolve(ctx, "ap-south-1", spec(planner.ItemEC2NanoHour))
	if !errors.As(err, &re) || len(re.Candidates) != 0 ||
		!strings.Contains(err.Error(), `ap-south-1 ec2.t4gNano.hour: no Price List product matches AmazonEC2 regionCode=ap-south-1 usagetype=[PREFIX-]BoxUsage:t4g.nano instanceType="t4g.nano" operatingSystem="Linux"`) {
		t.Errorf("missing item: error %v", err)
	}
	_, err = c.Resolve(ctx, "ap-northeast-1", spec(planner.ItemCloudWatchAlarm))
	if err == nil || !strings.Contains(err.Error(), `ap-northeast-1 cloudwatch.alarm: SKU`) || !strings.Contains(err.Error(), `unit "Alarm-Hrs", want Alarms`) {
		t.Errorf("wrong unit: error %v", err)
	}

	// ResolveAll reports every unresolved item of a region, not just the first.
	_, err = c.ResolveAll(ctx, "ap-south-1")
	if err == nil || strings.Count(err.Error(), "no Price List product matches") != len(planner.RegionalItems) {
		t.Errorf("ResolveAll(ap-south-1) error %v: want one line per item", err)
	}
}

// TestExcludedNearMisses: products that the usage-type filter returns but that are not
// the item (the regional NAT gateway) are named when nothing else matches.
func TestExcludedNearMisses(t *testing.T) {
	var regional []pricelisttest.Product
	for _, p := range pricelisttest.Catalogue(pricelisttest.EUCentral1, frankfurt) {
		if strings.Contains(p.Attributes["usagetype"], "RegionalNatGateway") {
			p.Attributes["regionCode"] = "eu-west-2"
			p.Attributes["usagetype"] = strings.Replace(p.Attributes["usagetype"], "EUC1", "EUW2", 1)
			regional = append(regional, p)
		}
	}
	srv := pricelisttest.New(t, regional...)
	srv.Env(t)
	c, err := pricelist.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := pricelist.SpecFor(planner.ItemNATGatewayHour)
	_, err = c.Resolve(context.Background(), "eu-west-2", s)
	if err == nil || !strings.Contains(err.Error(), "(EUW2-RegionalNatGateway-Hours): usage type is not [PREFIX-]NatGateway-Hours") {
		t.Errorf("error %v: want the regional NAT gateway named as excluded", err)
	}
}

func TestCheckRegion(t *testing.T) {
	tests := []struct{ region, wantErr string }{
		{"eu-central-1", ""},
		{"ap-southeast-2", ""},
		{"il-central-1", ""},
		{"cn-north-1", "cn-north-1 is in the aws-cn partition: only the aws partition's prices can be fetched"},
		{"us-gov-west-1", "us-gov-west-1 is in the aws-us-gov partition"},
		{"us-iso-east-1", "aws-iso partition"},
		{"us-isob-east-1", "aws-iso-b partition"},
		{"eu-isoe-west-1", "aws-iso-e partition"},
		{"eusc-de-east-1", "aws-eusc partition"},
		{"mars-east-1", `"mars-east-1" is not an AWS region name`},
		{"", `"" is not an AWS region name`},
	}
	for _, tt := range tests {
		err := pricelist.CheckRegion(tt.region)
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("CheckRegion(%q) = %v, want %q", tt.region, err, tt.wantErr)
		}
	}
}

// TestLoadWithoutCredentials: with no way to find credentials Load fails at once, in
// one line, before any call (and without asking the instance metadata service).
func TestLoadWithoutCredentials(t *testing.T) {
	pricelisttest.NoCredentials(t)
	start := time.Now()
	_, err := pricelist.Load(context.Background())
	if !errors.Is(err, pricelist.ErrNoCredentials) {
		t.Fatalf("Load error %v, want ErrNoCredentials", err)
	}
	if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "set AWS_PROFILE (an SSO login works), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") {
		t.Errorf("error is not one helpful line: %q", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}
