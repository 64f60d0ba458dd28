// Package pricelisttest is a local stand-in for the AWS Price List Query API, for tests
// that run the SDK's own pricing client against it (through AWS_ENDPOINT_URL_PRICING or
// the client's BaseEndpoint).
//
// It speaks the service's protocol, awsJson1_1: a POST to "/" with the header
// X-Amz-Target: AWSPriceListService.GetProducts and a JSON body {ServiceCode, Filters:
// [{Type, Field, Value}], FormatVersion, NextToken, MaxResults}, signed with SigV4 for
// the pricing service in us-east-1. It decodes that body strictly (an unknown member is
// an error, as a protocol change should be), filters its products the way the
// documentation describes TERM_MATCH, EQUALS, CONTAINS, ANY_OF and NONE_OF, pages the
// result with an opaque NextToken, and answers {FormatVersion, PriceList, NextToken},
// PriceList being product documents in the Price List's documented shape, each a JSON
// string: product {productFamily, attributes, sku}, serviceCode, terms.OnDemand.<sku>.
// <offerTermCode> {priceDimensions.<rateCode> {unit, beginRange, endRange, description,
// rateCode, pricePerUnit.USD}, sku, effectiveDate, offerTermCode}, version and
// publicationDate. Errors are JSON {"__type", "message"} with a 4xx status, as AWS sends.
//
// Only GetProducts is served; every request is recorded for the test to inspect.
package pricelisttest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Target is the X-Amz-Target of GetProducts.
const Target = "AWSPriceListService.GetProducts"

// Filter is a GetProducts filter as the client sent it.
type Filter struct {
	// Type is TERM_MATCH, EQUALS, CONTAINS, ANY_OF or NONE_OF.
	Type string
	// Field is "ServiceCode", "productFamily" or an attribute name.
	Field string
	// Value is the value compared (ANY_OF and NONE_OF: comma-separated values).
	Value string
}

// Request is one decoded GetProducts call.
type Request struct {
	// ServiceCode, Filters, FormatVersion, NextToken and MaxResults are the body's members.
	ServiceCode   string
	Filters       []Filter
	FormatVersion string
	NextToken     string
	MaxResults    int
	// Authorization is the SigV4 header the client signed the call with.
	Authorization string
}

// Server is a running Price List Query API stand-in.
type Server struct {
	// URL is the server's base URL, for AWS_ENDPOINT_URL_PRICING.
	URL string
	// PageSize caps the products of one answer below the client's MaxResults (0: no cap).
	PageSize int

	srv      *httptest.Server
	mu       sync.Mutex
	products []Product
	requests []Request
}

// New starts a server holding products; it is closed when the test ends.
func New(t testing.TB, products ...Product) *Server {
	t.Helper()
	s := &Server{products: products}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Requests returns the GetProducts calls served so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// fail writes an AWS JSON-protocol error.
func fail(w http.ResponseWriter, status int, typ, format string, a ...any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": fmt.Sprintf(format, a...)})
}

// body is GetProducts' request body; Filters' members are named as the API names them.
type body struct {
	ServiceCode *string
	Filters     []struct {
		Type  string
		Field string
		Value string
	}
	FormatVersion *string
	NextToken     *string
	MaxResults    *int
}

// credentialScope is what SigV4 signs a us-east-1 pricing call with.
const credentialScope = "/us-east-1/pricing/aws4_request"

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		fail(w, http.StatusNotFound, "UnknownOperationException", "%s %s", r.Method, r.URL.Path)
		return
	}
	if got := r.Header.Get("X-Amz-Target"); got != Target {
		fail(w, http.StatusBadRequest, "UnknownOperationException", "X-Amz-Target %q: only %s is served", got, Target)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		fail(w, http.StatusBadRequest, "SerializationException", "Content-Type %q: want application/x-amz-json-1.1", ct)
		return
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=") || !strings.Contains(auth, credentialScope) {
		fail(w, http.StatusForbidden, "InvalidSignatureException", "Authorization %q: want SigV4 for %s", auth, credentialScope)
		return
	}
	var b body
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		fail(w, http.StatusBadRequest, "SerializationException", "request body: %v", err)
		return
	}
	req := Request{Authorization: auth}
	if b.ServiceCode != nil {
		req.ServiceCode = *b.ServiceCode
	}
	if b.FormatVersion != nil {
		req.FormatVersion = *b.FormatVersion
	}
	if b.NextToken != nil {
		req.NextToken = *b.NextToken
	}
	if b.MaxResults != nil {
		req.MaxResults = *b.MaxResults
	}
	for _, f := range b.Filters {
		req.Filters = append(req.Filters, Filter(f))
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	products := s.products
	pageCap := s.PageSize
	s.mu.Unlock()

	if req.ServiceCode == "" {
		fail(w, http.StatusBadRequest, "InvalidParameterException", "ServiceCode is required")
		return
	}
	if req.FormatVersion != "" && req.FormatVersion != "aws_v1" {
		fail(w, http.StatusBadRequest, "InvalidParameterException", "FormatVersion %q: only aws_v1", req.FormatVersion)
		return
	}
	if b.MaxResults != nil && (req.MaxResults < 1 || req.MaxResults > 100) {
		fail(w, http.StatusBadRequest, "InvalidParameterException", "MaxResults %d: want 1-100", req.MaxResults)
		return
	}
	for _, f := range req.Filters {
		switch f.Type {
		case "TERM_MATCH", "EQUALS", "CONTAINS", "ANY_OF", "NONE_OF":
		default:
			fail(w, http.StatusBadRequest, "InvalidParameterException", "filter type %q", f.Type)
			return
		}
		if f.Field == "" || f.Value == "" {
			fail(w, http.StatusBadRequest, "InvalidParameterException", "filter %+v: Field and Value are required", f)
			return
		}
	}

	var matched []Product
	for _, p := range products {
		if p.ServiceCode == req.ServiceCode && p.matches(req.Filters) {
			matched = append(matched, p)
		}
	}
	start := 0
	if req.NextToken != "" {
		n, err := decodeToken(req.NextToken)
		if err != nil || n > len(matched) {
			fail(w, http.StatusBadRequest, "InvalidNextTokenException", "NextToken %q", req.NextToken)
			return
		}
		start = n
	}
	size := 100
	if req.MaxResults > 0 {
		size = req.MaxResults
	}
	if pageCap > 0 && pageCap < size {
		size = pageCap
	}
	end := min(start+size, len(matched))
	out := struct {
		FormatVersion string   `json:"FormatVersion"`
		PriceList     []string `json:"PriceList"`
		NextToken     string   `json:"NextToken,omitempty"`
	}{FormatVersion: "aws_v1", PriceList: []string{}}
	for _, p := range matched[start:end] {
		out.PriceList = append(out.PriceList, p.Document())
	}
	if end < len(matched) {
		out.NextToken = encodeToken(end)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

// encodeToken makes an opaque page token; decodeToken reads it back.
func encodeToken(offset int) string {
	return base64.StdEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset)))
}

func decodeToken(tok string) (int, error) {
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return 0, err
	}
	n, ok := strings.CutPrefix(string(raw), "offset:")
	if !ok {
		return 0, fmt.Errorf("not a page token")
	}
	return strconv.Atoi(n)
}

// Dimension is one price dimension (tier) of an on-demand term.
type Dimension struct {
	// Code is the dimension's code; the rate code is SKU.offerTermCode.Code.
	Code string
	// Unit, BeginRange, EndRange ("Inf" for open), Description and USD are the
	// dimension's fields as the Price List writes them.
	Unit, BeginRange, EndRange, Description, USD string
}

// Term is an on-demand term of a product.
type Term struct {
	// OfferTermCode is the term's code ("JRTCKXETXF" for on-demand).
	OfferTermCode string
	// EffectiveDate is when the term took effect, e.g. "2026-11-01T00:00:00Z".
	EffectiveDate string
	// Dimensions are the term's tiers.
	Dimensions []Dimension
}

// Product is one Price List product with its on-demand terms.
type Product struct {
	// ServiceCode is the product's service, e.g. "AmazonEC2".
	ServiceCode string
	// SKU is the product's SKU.
	SKU string
	// ProductFamily is the product's family, e.g. "NAT Gateway".
	ProductFamily string
	// Attributes are the product's attributes (usagetype, regionCode, location...).
	Attributes map[string]string
	// OnDemand are the product's on-demand terms.
	OnDemand []Term
	// PublicationDate and Version are the document's.
	PublicationDate, Version string
}

// field returns what a filter on name compares: the service code, the product family
// or an attribute ("" when the product lacks it).
func (p Product) field(name string) string {
	switch name {
	case "ServiceCode":
		return p.ServiceCode
	case "productFamily":
		return p.ProductFamily
	}
	return p.Attributes[name]
}

// matches applies the filters as the API documents them: TERM_MATCH and EQUALS compare
// the whole value, CONTAINS finds a substring, ANY_OF and NONE_OF take a comma list.
func (p Product) matches(filters []Filter) bool {
	for _, f := range filters {
		v := p.field(f.Field)
		var ok bool
		switch f.Type {
		case "TERM_MATCH", "EQUALS":
			ok = v == f.Value
		case "CONTAINS":
			ok = strings.Contains(v, f.Value)
		case "ANY_OF", "NONE_OF":
			for _, x := range strings.Split(f.Value, ",") {
				if strings.TrimSpace(x) == v {
					ok = true
				}
			}
			if f.Type == "NONE_OF" {
				ok = !ok
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Document renders the product as a PriceList string of GetProducts.
func (p Product) Document() string {
	type priceDimension struct {
		Unit         string            `json:"unit"`
		EndRange     string            `json:"endRange"`
		Description  string            `json:"description"`
		AppliesTo    []string          `json:"appliesTo"`
		RateCode     string            `json:"rateCode"`
		BeginRange   string            `json:"beginRange"`
		PricePerUnit map[string]string `json:"pricePerUnit"`
	}
	type term struct {
		PriceDimensions map[string]priceDimension `json:"priceDimensions"`
		SKU             string                    `json:"sku"`
		EffectiveDate   string                    `json:"effectiveDate"`
		OfferTermCode   string                    `json:"offerTermCode"`
		TermAttributes  map[string]string         `json:"termAttributes"`
	}
	onDemand := map[string]term{}
	for _, t := range p.OnDemand {
		key := p.SKU + "." + t.OfferTermCode
		dims := map[string]priceDimension{}
		for _, d := range t.Dimensions {
			rc := key + "." + d.Code
			dims[rc] = priceDimension{Unit: d.Unit, EndRange: d.EndRange, Description: d.Description, AppliesTo: []string{},
				RateCode: rc, BeginRange: d.BeginRange, PricePerUnit: map[string]string{"USD": d.USD}}
		}
		onDemand[key] = term{PriceDimensions: dims, SKU: p.SKU, EffectiveDate: t.EffectiveDate,
			OfferTermCode: t.OfferTermCode, TermAttributes: map[string]string{}}
	}
	attrs := map[string]string{"servicecode": p.ServiceCode}
	for k, v := range p.Attributes {
		attrs[k] = v
	}
	doc := map[string]any{
		"product":         map[string]any{"productFamily": p.ProductFamily, "attributes": attrs, "sku": p.SKU},
		"serviceCode":     p.ServiceCode,
		"terms":           map[string]any{"OnDemand": onDemand},
		"version":         p.Version,
		"publicationDate": p.PublicationDate,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		panic(err) // maps of strings always encode
	}
	return strings.TrimSuffix(buf.String(), "\n")
}
