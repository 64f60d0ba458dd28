// Package pricelist resolves the planner's regional price-book items from the AWS Price
// List Query API (the pricing service's GetProducts) with the AWS SDK for Go v2.
//
// Each item has a Spec: the Price List service code, the usage type (without the region
// prefix the Price List puts in front of it outside us-east-1, e.g. "EUC1-"), and the
// product attributes that single it out. Resolve asks GetProducts for the region's
// products with those filters, page by page, keeps the products whose usage type is
// exactly the spec's (with or without a region prefix) and whose attributes match, and
// reads the on-demand rate. A product's free allowance (a first tier priced 0 that ends,
// e.g. SNS's first 1,000 e-mails) is skipped: the book holds allowances as global items.
// Tiered prices give their first paid tier. No product, or more than one, is an error
// naming the item, the query and the candidates: nothing is guessed.
package pricelist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/pricing/types"

	"github.com/lambdabridge/lambdabridge/planner"
)

// APIRegion is the region whose Price List Query API endpoint the client calls, whatever
// region is priced: every region's prices are served there.
const APIRegion = "us-east-1"

// Attr is one product attribute a Spec requires, matched exactly (TERM_MATCH).
type Attr struct {
	// Name is the Price List attribute, e.g. "databaseEngine", or "productFamily".
	Name string
	// Value is the value the product must have, e.g. "PostgreSQL".
	Value string
}

// Spec says where one price-book item lives in the Price List.
type Spec struct {
	// Item is the planner's item key, e.g. planner.ItemNATGatewayHour.
	Item string
	// ServiceCode is the Price List service, e.g. "AmazonEC2".
	ServiceCode string
	// UsageType is the product's usage type without its region prefix, e.g.
	// "NatGateway-Hours" (matches "NatGateway-Hours" and "EUC1-NatGateway-Hours", not
	// "EUC1-RegionalNatGateway-Hours"). Empty: the attributes alone select the product.
	UsageType string
	// Attributes are further exact attribute filters.
	Attributes []Attr
	// Units are the Price List units the rate may be given in, e.g. "Hrs".
	Units []string
	// BookUnit is the unit of the book's entry, e.g. "USD/hour".
	BookUnit string
}

// Specs lists every regional item of the price book (planner.RegionalItems).
var Specs = []Spec{
	{Item: planner.ItemLambdaRequest, ServiceCode: "AWSLambda", UsageType: "Request",
		Units: []string{"Requests"}, BookUnit: "USD/request"},
	{Item: planner.ItemLambdaGBSecondArm, ServiceCode: "AWSLambda", UsageType: "Lambda-GB-Second-ARM",
		Units: []string{"Lambda-GB-Second"}, BookUnit: "USD/GB-second"},
	{Item: planner.ItemLambdaGBSecondX86, ServiceCode: "AWSLambda", UsageType: "Lambda-GB-Second",
		Units: []string{"Lambda-GB-Second"}, BookUnit: "USD/GB-second"},
	{Item: planner.ItemS3Put, ServiceCode: "AmazonS3", UsageType: "Requests-Tier1",
		Units: []string{"Requests"}, BookUnit: "USD/request"},
	{Item: planner.ItemS3Get, ServiceCode: "AmazonS3", UsageType: "Requests-Tier2",
		Units: []string{"Requests"}, BookUnit: "USD/request"},
	{Item: planner.ItemS3Storage, ServiceCode: "AmazonS3", UsageType: "TimedStorage-ByteHrs",
		Attributes: []Attr{{"volumeType", "Standard"}},
		Units:      []string{"GB-Mo"}, BookUnit: "USD/GB-month"},
	{Item: planner.ItemNATGatewayHour, ServiceCode: "AmazonEC2", UsageType: "NatGateway-Hours",
		Attributes: []Attr{{"productFamily", "NAT Gateway"}},
		Units:      []string{"Hrs"}, BookUnit: "USD/hour"},
	{Item: planner.ItemNATGatewayGB, ServiceCode: "AmazonEC2", UsageType: "NatGateway-Bytes",
		Attributes: []Attr{{"productFamily", "NAT Gateway"}},
		Units:      []string{"GB"}, BookUnit: "USD/GB"},
	{Item: planner.ItemEC2NanoHour, ServiceCode: "AmazonEC2", UsageType: "BoxUsage:t4g.nano",
		Attributes: []Attr{{"instanceType", "t4g.nano"}, {"operatingSystem", "Linux"}, {"tenancy", "Shared"},
			{"preInstalledSw", "NA"}, {"capacitystatus", "Used"}},
		Units: []string{"Hrs"}, BookUnit: "USD/hour"},
	{Item: planner.ItemEBSGp3, ServiceCode: "AmazonEC2", UsageType: "EBS:VolumeUsage.gp3",
		Attributes: []Attr{{"volumeApiName", "gp3"}},
		Units:      []string{"GB-Mo"}, BookUnit: "USD/GB-month"},
	{Item: planner.ItemPublicIPv4Hour, ServiceCode: "AmazonVPC", UsageType: "PublicIPv4:InUseAddress",
		Units: []string{"Hrs"}, BookUnit: "USD/hour"},
	{Item: planner.ItemLogsIngest, ServiceCode: "AmazonCloudWatch", UsageType: "DataProcessing-Bytes",
		Units: []string{"GB"}, BookUnit: "USD/GB"},
	{Item: planner.ItemRDSMicroHour, ServiceCode: "AmazonRDS", UsageType: "InstanceUsage:db.t4g.micro",
		Attributes: []Attr{{"instanceType", "db.t4g.micro"}, {"databaseEngine", "PostgreSQL"}, {"deploymentOption", "Single-AZ"}},
		Units:      []string{"Hrs"}, BookUnit: "USD/hour"},
	{Item: planner.ItemRDSGp3, ServiceCode: "AmazonRDS", UsageType: "RDS:GP3-Storage",
		Attributes: []Attr{{"databaseEngine", "PostgreSQL"}, {"deploymentOption", "Single-AZ"}},
		Units:      []string{"GB-Mo"}, BookUnit: "USD/GB-month"},
	{Item: planner.ItemSchedulerInvoke, ServiceCode: "AWSEvents", UsageType: "ScheduledInvocation",
		Units: []string{"Invocations"}, BookUnit: "USD/invocation"},
	// SQS request products are named "Requests-RBP" in us-east-1 and "<prefix>-Requests-Tier1"
	// elsewhere: the group and queue type select them.
	{Item: planner.ItemSQSRequest, ServiceCode: "AWSQueueService",
		Attributes: []Attr{{"group", "SQS-APIRequest-Tier1"}, {"queueType", "Standard"}},
		Units:      []string{"Requests"}, BookUnit: "USD/request"},
	{Item: planner.ItemCloudWatchAlarm, ServiceCode: "AmazonCloudWatch", UsageType: "CW:AlarmMonitorUsage",
		Units: []string{"Alarms"}, BookUnit: "USD/alarm-month"},
	{Item: planner.ItemCloudWatchMetric, ServiceCode: "AmazonCloudWatch", UsageType: "CW:MetricMonitorUsage",
		Units: []string{"Metrics"}, BookUnit: "USD/metric-month"},
	{Item: planner.ItemSNSEmail, ServiceCode: "AmazonSNS", UsageType: "DeliveryAttempts-SMTP",
		Units: []string{"Notifications"}, BookUnit: "USD/notification"},
}

// SpecFor returns the Spec of a price-book item.
func SpecFor(item string) (Spec, bool) {
	for _, s := range Specs {
		if s.Item == item {
			return s, true
		}
	}
	return Spec{}, false
}

// query renders the spec's filters for messages: AmazonEC2 regionCode=... usagetype=*X a=b.
func (s Spec) query(region string) string {
	parts := []string{s.ServiceCode, "regionCode=" + region}
	if s.UsageType != "" {
		parts = append(parts, "usagetype=[PREFIX-]"+s.UsageType)
	}
	for _, a := range s.Attributes {
		parts = append(parts, fmt.Sprintf("%s=%q", a.Name, a.Value))
	}
	return strings.Join(parts, " ")
}

// filters are the GetProducts filters of the spec for region.
func (s Spec) filters(region string) []types.Filter {
	f := []types.Filter{{Field: aws.String("regionCode"), Type: types.FilterTypeTermMatch, Value: aws.String(region)}}
	if s.UsageType != "" {
		// CONTAINS finds the prefixed forms; the exact suffix is checked on the answer.
		f = append(f, types.Filter{Field: aws.String("usagetype"), Type: types.FilterTypeContains, Value: aws.String(s.UsageType)})
	}
	for _, a := range s.Attributes {
		f = append(f, types.Filter{Field: aws.String(a.Name), Type: types.FilterTypeTermMatch, Value: aws.String(a.Value)})
	}
	return f
}

// regionPrefix is the form of the Price List's region prefix of a usage type: "EUC1",
// "APN1", "EU", "USE1" (upper case letters, then digits).
var regionPrefix = regexp.MustCompile(`^[A-Z]{2,}[0-9]*$`)

// matchesUsageType says whether a product's usage type is the spec's, with or without a
// region prefix.
func (s Spec) matchesUsageType(ut string) bool {
	if s.UsageType == "" || ut == s.UsageType {
		return true
	}
	prefix, rest, ok := strings.Cut(ut, "-")
	return ok && rest == s.UsageType && regionPrefix.MatchString(prefix)
}

// Price is one item's rate as the Price List states it.
type Price struct {
	// Item is the price-book item; Region the region priced.
	Item, Region string
	// USD is the price per Unit; USDText the Price List's own decimal text.
	USD     float64
	USDText string
	// Unit is the Price List's unit; BookUnit the book's.
	Unit, BookUnit string
	// ServiceCode, SKU, RateCode and UsageType identify the rate.
	ServiceCode, SKU, RateCode, UsageType string
	// Description is the price dimension's description, e.g. "$0.052 per NAT Gateway Hour".
	Description string
	// FreeUpTo is the end of a free first tier that was skipped ("" when none), in Unit.
	FreeUpTo string
	// PublicationDate is the document's publication date; EffectiveDate the term's.
	PublicationDate, EffectiveDate time.Time
}

// OfferFileURL is the bulk Price List offer file of a service in a region: the same
// products and rates as the Query API, readable without credentials.
func OfferFileURL(serviceCode, region string) string {
	return fmt.Sprintf("https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/%s/current/%s/index.json", serviceCode, region)
}

// Entry is the price-book entry of the price: in force from the term's effective day,
// confirmed (AWS states it), sourced to the region's offer file and the rate's SKU.
func (p Price) Entry() planner.Entry {
	e := planner.Entry{
		Value:         p.USD,
		Unit:          p.BookUnit,
		Source:        OfferFileURL(p.ServiceCode, p.Region),
		EffectiveFrom: p.EffectiveDate.UTC().Format(time.DateOnly),
		Confidence:    "confirmed",
		Evidence: fmt.Sprintf("AWS Price List Query API GetProducts (%s, published %s): %s USD per %s, %q",
			p.ServiceCode, p.PublicationDate.UTC().Format(time.DateOnly), p.USDText, p.Unit, p.Description),
		PriceList: &planner.PriceListRef{
			ServiceCode:     p.ServiceCode,
			SKU:             p.SKU,
			RateCode:        p.RateCode,
			UsageType:       p.UsageType,
			Unit:            p.Unit,
			PublicationDate: p.PublicationDate.UTC().Format(time.RFC3339),
			EffectiveDate:   p.EffectiveDate.UTC().Format(time.RFC3339),
		},
	}
	if p.FreeUpTo != "" {
		e.Note = fmt.Sprintf("first paid tier; the Price List's free first %s %s are the book's free-tier allowance", p.FreeUpTo, p.Unit)
	}
	return e
}

// ProductsAPI is the part of the pricing client Resolve uses; *pricing.Client has it.
type ProductsAPI interface {
	GetProducts(ctx context.Context, in *pricing.GetProductsInput, optFns ...func(*pricing.Options)) (*pricing.GetProductsOutput, error)
}

// Client resolves items against the Price List Query API.
type Client struct {
	// API is the pricing client.
	API ProductsAPI
	// PageSize is GetProducts' MaxResults (1-100); 0 means 100.
	PageSize int32
}

// ErrNoCredentials says that the SDK's credential chain found no credentials.
var ErrNoCredentials = errors.New("no AWS credentials")

// Load makes a Client the standard SDK way: credentials from the environment, the shared
// config and credentials files, SSO, or the container and instance roles; endpoint
// overrides from AWS_ENDPOINT_URL_PRICING (or the config file's services section). The
// client always calls the API's region, us-east-1, whatever AWS_REGION says. Credentials
// are retrieved before any call, so their absence is ErrNoCredentials in one line.
func Load(ctx context.Context) (*Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(APIRegion))
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", oneLine(err))
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(cctx); err != nil {
		// Not the chain's own error: its last stop, the instance metadata service, answers
		// off EC2 with a message about IMDS that says nothing of what to do.
		return nil, fmt.Errorf("%w: the Price List API needs signed requests from any IAM identity allowed pricing:GetProducts: "+
			"set AWS_PROFILE (an SSO login works), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", ErrNoCredentials)
	}
	return &Client{API: pricing.NewFromConfig(cfg)}, nil
}

// oneLine flattens an error's text to one line.
func oneLine(err error) error {
	return errors.New(strings.Join(strings.Fields(err.Error()), " "))
}

// partitions are the AWS partitions other than aws, by region pattern (the SDK's
// partitions.json).
var partitions = []struct {
	id string
	re *regexp.Regexp
}{
	{"aws-cn", regexp.MustCompile(`^cn-\w+-\d+$`)},
	{"aws-us-gov", regexp.MustCompile(`^us-gov-\w+-\d+$`)},
	{"aws-iso", regexp.MustCompile(`^us-iso-\w+-\d+$`)},
	{"aws-iso-b", regexp.MustCompile(`^us-isob-\w+-\d+$`)},
	{"aws-iso-e", regexp.MustCompile(`^eu-isoe-\w+-\d+$`)},
	{"aws-iso-f", regexp.MustCompile(`^us-isof-\w+-\d+$`)},
	{"aws-eusc", regexp.MustCompile(`^eusc-(de)-\w+-\d+$`)},
}

// awsRegion is the aws partition's region pattern (the SDK's partitions.json).
var awsRegion = regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$`)

// CheckRegion accepts a region of the aws partition and refuses the others (China,
// GovCloud, ISO, European Sovereign Cloud), whose prices are not in this Price List.
func CheckRegion(region string) error {
	for _, p := range partitions {
		if p.re.MatchString(region) {
			return fmt.Errorf("region %s is in the %s partition: only the aws partition's prices can be fetched (its Price List does not price %s regions)", region, p.id, p.id)
		}
	}
	if !awsRegion.MatchString(region) {
		return fmt.Errorf("%q is not an AWS region name like eu-central-1", region)
	}
	return nil
}

// Candidate is one rate a query found, for the ambiguity error.
type Candidate struct {
	// SKU, RateCode, UsageType, USD, Unit and Description describe the rate.
	SKU, RateCode, UsageType, USD, Unit, Description string
	// Attributes are the product's attributes (and its productFamily).
	Attributes map[string]string
}

// ResolveError is an item the Price List did not resolve to exactly one rate.
type ResolveError struct {
	// Region and Item name what was asked; Query the filters.
	Region, Item, Query string
	// Candidates are the rates found: none, or more than one.
	Candidates []Candidate
	// Skipped lists products the query returned that the spec's exact usage type or
	// attributes excluded, or that have no on-demand rate.
	Skipped []string
}

func (e *ResolveError) Error() string {
	if len(e.Candidates) == 0 {
		msg := fmt.Sprintf("%s %s: no Price List product matches %s", e.Region, e.Item, e.Query)
		if len(e.Skipped) > 0 {
			msg += "; returned but excluded: " + strings.Join(e.Skipped, "; ")
		}
		return msg
	}
	// Name the attributes that tell the candidates apart.
	var differ []string
	for k := range e.Candidates[0].Attributes {
		for _, c := range e.Candidates[1:] {
			if c.Attributes[k] != e.Candidates[0].Attributes[k] {
				differ = append(differ, k)
				break
			}
		}
	}
	for _, c := range e.Candidates[1:] {
		for k := range c.Attributes {
			if _, ok := e.Candidates[0].Attributes[k]; !ok && !contains(differ, k) {
				differ = append(differ, k)
			}
		}
	}
	sort.Strings(differ)
	cs := make([]string, len(e.Candidates))
	for i, c := range e.Candidates {
		var attrs []string
		for _, k := range differ {
			attrs = append(attrs, fmt.Sprintf("%s=%q", k, c.Attributes[k]))
		}
		cs[i] = fmt.Sprintf("SKU %s rate %s (%s, %s USD per %s, %q", c.SKU, c.RateCode, c.UsageType, c.USD, c.Unit, c.Description)
		if len(attrs) > 0 {
			cs[i] += ", " + strings.Join(attrs, " ")
		}
		cs[i] += ")"
	}
	return fmt.Sprintf("%s %s: %d Price List rates match %s, want exactly one: %s",
		e.Region, e.Item, len(e.Candidates), e.Query, strings.Join(cs, "; "))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// document is a Price List product document, one PriceList string of GetProducts.
type document struct {
	Product struct {
		ProductFamily string            `json:"productFamily"`
		Attributes    map[string]string `json:"attributes"`
		SKU           string            `json:"sku"`
	} `json:"product"`
	ServiceCode string `json:"serviceCode"`
	Terms       struct {
		OnDemand map[string]term `json:"OnDemand"`
	} `json:"terms"`
	PublicationDate string `json:"publicationDate"`
}

type term struct {
	PriceDimensions map[string]dimension `json:"priceDimensions"`
	SKU             string               `json:"sku"`
	EffectiveDate   string               `json:"effectiveDate"`
	OfferTermCode   string               `json:"offerTermCode"`
}

type dimension struct {
	Unit         string            `json:"unit"`
	EndRange     string            `json:"endRange"`
	Description  string            `json:"description"`
	RateCode     string            `json:"rateCode"`
	BeginRange   string            `json:"beginRange"`
	PricePerUnit map[string]string `json:"pricePerUnit"`
}

// attr returns a product attribute, productFamily included.
func (d *document) attr(name string) string {
	if name == "productFamily" {
		return d.Product.ProductFamily
	}
	return d.Product.Attributes[name]
}

// rate is one candidate: a product's on-demand term and the dimension that prices it.
type rate struct {
	doc      *document
	term     term
	dim      dimension
	freeUpTo string
}

// Resolve returns the region's rate of one spec.
func (c *Client) Resolve(ctx context.Context, region string, s Spec) (Price, error) {
	if err := CheckRegion(region); err != nil {
		return Price{}, err
	}
	size := c.PageSize
	if size <= 0 {
		size = 100
	}
	in := &pricing.GetProductsInput{
		ServiceCode:   aws.String(s.ServiceCode),
		Filters:       s.filters(region),
		FormatVersion: aws.String("aws_v1"),
		MaxResults:    aws.Int32(size),
	}
	var docs []*document
	pages := pricing.NewGetProductsPaginator(c.API, in)
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return Price{}, fmt.Errorf("%s %s: GetProducts %s: %w", region, s.Item, s.query(region), err)
		}
		for i, raw := range out.PriceList {
			d := new(document)
			if err := json.Unmarshal([]byte(raw), d); err != nil {
				return Price{}, fmt.Errorf("%s %s: GetProducts answer, product %d: %w", region, s.Item, i+1, err)
			}
			docs = append(docs, d)
		}
	}

	rerr := &ResolveError{Region: region, Item: s.Item, Query: s.query(region)}
	var rates []rate
	for _, d := range docs {
		ut := d.Product.Attributes["usagetype"]
		if why := s.excludes(d, region); why != "" {
			rerr.Skipped = append(rerr.Skipped, fmt.Sprintf("SKU %s (%s): %s", d.Product.SKU, ut, why))
			continue
		}
		if len(d.Terms.OnDemand) == 0 {
			rerr.Skipped = append(rerr.Skipped, fmt.Sprintf("SKU %s (%s): no on-demand term", d.Product.SKU, ut))
			continue
		}
		for _, t := range d.Terms.OnDemand {
			dim, free, err := firstPaid(t)
			if err != nil {
				return Price{}, fmt.Errorf("%s %s: SKU %s: %w", region, s.Item, d.Product.SKU, err)
			}
			rates = append(rates, rate{doc: d, term: t, dim: dim, freeUpTo: free})
		}
	}
	sort.Slice(rates, func(i, j int) bool { return rates[i].dim.RateCode < rates[j].dim.RateCode })
	if len(rates) != 1 {
		for _, r := range rates {
			attrs := map[string]string{"productFamily": r.doc.Product.ProductFamily}
			for k, v := range r.doc.Product.Attributes {
				attrs[k] = v
			}
			rerr.Candidates = append(rerr.Candidates, Candidate{
				SKU: r.doc.Product.SKU, RateCode: r.dim.RateCode, UsageType: r.doc.Product.Attributes["usagetype"],
				USD: r.dim.PricePerUnit["USD"], Unit: r.dim.Unit, Description: r.dim.Description, Attributes: attrs,
			})
		}
		return Price{}, rerr
	}
	return s.price(region, rates[0])
}

// excludes says why a returned product is not the spec's ("" when it is).
func (s Spec) excludes(d *document, region string) string {
	if d.Product.Attributes["regionCode"] != region {
		return fmt.Sprintf("regionCode %q", d.Product.Attributes["regionCode"])
	}
	if !s.matchesUsageType(d.Product.Attributes["usagetype"]) {
		return "usage type is not [PREFIX-]" + s.UsageType
	}
	for _, a := range s.Attributes {
		if got := d.attr(a.Name); got != a.Value {
			return fmt.Sprintf("%s %q, want %q", a.Name, got, a.Value)
		}
	}
	return ""
}

// firstPaid picks the dimension of a term that prices the item: tiers are ordered by
// beginRange; leading tiers priced 0 that end (a free allowance) are skipped; the next
// tier is the price. A term priced 0 throughout gives its last tier (the price is 0).
func firstPaid(t term) (dimension, string, error) {
	if len(t.PriceDimensions) == 0 {
		return dimension{}, "", errors.New("on-demand term has no price dimensions")
	}
	type tier struct {
		begin float64
		d     dimension
	}
	tiers := make([]tier, 0, len(t.PriceDimensions))
	for code, d := range t.PriceDimensions {
		if d.RateCode == "" {
			d.RateCode = code
		}
		b := 0.0
		if d.BeginRange != "" {
			v, err := strconv.ParseFloat(d.BeginRange, 64)
			if err != nil {
				return dimension{}, "", fmt.Errorf("rate %s: beginRange %q: %w", d.RateCode, d.BeginRange, err)
			}
			b = v
		}
		tiers = append(tiers, tier{b, d})
	}
	sort.Slice(tiers, func(i, j int) bool { return tiers[i].begin < tiers[j].begin })
	free := ""
	for i, tr := range tiers {
		usd, ok := tr.d.PricePerUnit["USD"]
		if !ok {
			return dimension{}, "", fmt.Errorf("rate %s has no USD price", tr.d.RateCode)
		}
		v, err := strconv.ParseFloat(usd, 64)
		if err != nil {
			return dimension{}, "", fmt.Errorf("rate %s: USD %q: %w", tr.d.RateCode, usd, err)
		}
		last := i == len(tiers)-1
		if v == 0 && !last && tr.d.EndRange != "Inf" {
			free = tr.d.EndRange
			continue
		}
		return tr.d, free, nil
	}
	return tiers[len(tiers)-1].d, free, nil
}

// price turns the one rate found into a Price, checking its unit and dates.
func (s Spec) price(region string, r rate) (Price, error) {
	where := fmt.Sprintf("%s %s: SKU %s rate %s", region, s.Item, r.doc.Product.SKU, r.dim.RateCode)
	if !contains(s.Units, r.dim.Unit) {
		return Price{}, fmt.Errorf("%s: unit %q, want %s: the book's %s would misread it", where, r.dim.Unit, strings.Join(s.Units, " or "), s.BookUnit)
	}
	usd := r.dim.PricePerUnit["USD"]
	v, err := strconv.ParseFloat(usd, 64)
	if err != nil {
		return Price{}, fmt.Errorf("%s: USD %q: %w", where, usd, err)
	}
	pub, err := parseDate(r.doc.PublicationDate)
	if err != nil {
		return Price{}, fmt.Errorf("%s: publicationDate: %w", where, err)
	}
	eff, err := parseDate(r.term.EffectiveDate)
	if err != nil {
		return Price{}, fmt.Errorf("%s: effectiveDate: %w", where, err)
	}
	return Price{
		Item: s.Item, Region: region, USD: v, USDText: usd, Unit: r.dim.Unit, BookUnit: s.BookUnit,
		ServiceCode: s.ServiceCode, SKU: r.doc.Product.SKU, RateCode: r.dim.RateCode,
		UsageType: r.doc.Product.Attributes["usagetype"], Description: r.dim.Description, FreeUpTo: r.freeUpTo,
		PublicationDate: pub, EffectiveDate: eff,
	}, nil
}

// parseDate reads the Price List's dates: RFC 3339, or a bare day.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time or YYYY-MM-DD", s)
	}
	return t, nil
}

// ResolveAll resolves every Spec for region, in Specs order. It returns the prices it
// resolved and, joined, an error for each item it did not.
func (c *Client) ResolveAll(ctx context.Context, region string) ([]Price, error) {
	if err := CheckRegion(region); err != nil {
		return nil, err
	}
	var prices []Price
	var errs []error
	for _, s := range Specs {
		p, err := c.Resolve(ctx, region, s)
		if err != nil {
			if ctx.Err() != nil {
				return prices, err
			}
			errs = append(errs, err)
			continue
		}
		prices = append(prices, p)
	}
	return prices, errors.Join(errs...)
}
