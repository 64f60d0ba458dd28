// Package cwlocal is a small local CloudWatch metrics endpoint for tests and for cmd/local:
// it answers the GetMetricData requests the AWS SDK for Go v2's own CloudWatch client sends,
// in the protocol that client speaks (Smithy RPC v2 CBOR: POST
// /service/GraniteServiceVersion20100801/operation/GetMetricData, CBOR bodies, errors as a
// CBOR {"__type", "message"} map with the awsQuery error code in X-Amzn-Query-Error), so
// code under test reaches it through the standard AWS_ENDPOINT_URL_CLOUDWATCH variable.
// No CloudWatch emulator is available from the registries this project can reach (fauxqs
// covers SQS, SNS and S3 only), hence this one.
//
// What it keeps: raw datapoints (Put, or PutEMF for an Embedded Metric Format log line as
// the fetcher prints it), each one value of a metric identified by namespace, name and its
// exact dimension set, as CloudWatch identifies metrics. What it answers, as CloudWatch
// documents GetMetricData
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html):
//
//   - MetricStat queries (no math expressions, no Metrics Insights) with the statistics
//     SampleCount, Sum, Average, Minimum, Maximum and percentiles pNN or pNN.NN (nearest
//     rank: the smallest value with at least NN% of the period's values at or below it);
//   - one datapoint per period that holds data (none for an empty period), periods laid from
//     StartTime rounded down as CloudWatch rounds it (to the minute when StartTime is less
//     than 15 days ago, to 5 minutes up to 63 days, to the hour beyond);
//   - retention as CloudWatch applies it: data older than 15 days only for periods that are
//     a multiple of 300 s, older than 63 days only for multiples of 3600 s, none older than
//     455 days;
//   - ScanBy (TimestampDescending by default) and pagination: at most MaxDatapoints
//     (default 100,800) datapoints per response over all queries, the rest behind a
//     NextToken, with StatusCode PartialData on a query that continues on the next page.
//
// Any other operation is answered with an UnknownOperationException; a malformed request
// with CloudWatch's InvalidParameterValue or MissingParameter errors, which the SDK decodes
// into its typed errors.
package cwlocal

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// ServicePath is the path prefix of every operation of the CloudWatch service in RPC v2.
const ServicePath = "/service/GraniteServiceVersion20100801/operation/"

// DefaultMaxDatapoints is GetMetricData's page size when the request sets none.
const DefaultMaxDatapoints = 100800

// Retention of CloudWatch's aggregated data, and the period each resolution needs.
const (
	// OneMinuteRetention is how long 1-minute data is kept (15 days).
	OneMinuteRetention = 15 * 24 * time.Hour
	// FiveMinuteRetention is how long 5-minute data is kept (63 days).
	FiveMinuteRetention = 63 * 24 * time.Hour
	// HourlyRetention is how long hourly data is kept (455 days, 15 months).
	HourlyRetention = 455 * 24 * time.Hour
)

// Datum is one raw value of a metric at a time.
type Datum struct {
	Namespace, Metric string
	// Dimensions identify the metric together with its namespace and name: a query matches
	// a metric only with exactly the same dimension set.
	Dimensions map[string]string
	At         time.Time
	Value      float64
}

type point struct {
	ms int64 // Unix milliseconds
	v  float64
}

type series struct {
	points []point
	sorted bool
}

// Server is the endpoint: an http.Handler over a store of datapoints. The zero value is not
// usable; build one with New.
type Server struct {
	// Now is the server's clock for retention and StartTime rounding (default time.Now).
	// Set it before serving.
	Now func() time.Time

	mu     sync.Mutex
	series map[string]*series
	pages  map[string]*pending
	// requests counts GetMetricData calls served (pages included).
	requests int

	ln  net.Listener
	srv *http.Server
}

// New returns an empty server.
func New() *Server {
	return &Server{Now: time.Now, series: map[string]*series{}, pages: map[string]*pending{}}
}

// Start serves s on addr ("127.0.0.1:0" for a free port) in the background and returns its
// base URL, the value for AWS_ENDPOINT_URL_CLOUDWATCH.
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("cwlocal: listen %s: %w", addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// Close stops a server started with Start.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// Requests returns how many GetMetricData calls (pages included) the server has answered.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// seriesKey identifies a metric: namespace, name and the sorted dimension set.
func seriesKey(namespace, metric string, dims map[string]string) string {
	names := make([]string, 0, len(dims))
	for k := range dims {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(namespace)
	b.WriteByte(0)
	b.WriteString(metric)
	for _, k := range names {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(dims[k])
	}
	return b.String()
}

// Put stores raw datapoints.
func (s *Server) Put(ds ...Datum) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range ds {
		k := seriesKey(d.Namespace, d.Metric, d.Dimensions)
		se := s.series[k]
		if se == nil {
			se = &series{sorted: true}
			s.series[k] = se
		}
		p := point{d.At.UnixMilli(), d.Value}
		if n := len(se.points); n > 0 && se.points[n-1].ms > p.ms {
			se.sorted = false
		}
		se.points = append(se.points, p)
	}
}

// PutEMF stores the metrics of one Embedded Metric Format log line, as CloudWatch Logs
// extracts them: for every directive of _aws.CloudWatchMetrics, every metric it defines
// (whose value is a number, or a list of numbers) under every dimension set it names, at
// _aws.Timestamp. It returns how many datapoints it stored.
func (s *Server) PutEMF(line []byte) (int, error) {
	ds, err := ParseEMF(line)
	if err != nil {
		return 0, err
	}
	s.Put(ds...)
	return len(ds), nil
}

// ErrNotEMF is ParseEMF's error for a line that is not an EMF document (no _aws member
// with CloudWatchMetrics): a plain log line.
var ErrNotEMF = errors.New("not an Embedded Metric Format line")

// ParseEMF returns the datapoints of one EMF log line (see PutEMF). A line that is not a
// JSON object with an _aws.CloudWatchMetrics directive is ErrNotEMF; a directive that names
// a dimension or metric the line lacks is an error, as CloudWatch Logs rejects it.
func ParseEMF(line []byte) ([]Datum, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(line, &doc); err != nil {
		return nil, ErrNotEMF
	}
	rawMeta, ok := doc["_aws"]
	if !ok {
		return nil, ErrNotEMF
	}
	var meta struct {
		Timestamp         *int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	}
	if err := json.Unmarshal(rawMeta, &meta); err != nil || meta.CloudWatchMetrics == nil {
		return nil, ErrNotEMF
	}
	if meta.Timestamp == nil {
		return nil, errors.New("emf: _aws.Timestamp is missing")
	}
	at := time.UnixMilli(*meta.Timestamp)
	var out []Datum
	for _, d := range meta.CloudWatchMetrics {
		if d.Namespace == "" {
			return nil, errors.New("emf: a directive has no Namespace")
		}
		sets := d.Dimensions
		if len(sets) == 0 {
			sets = [][]string{{}}
		}
		for _, set := range sets {
			dims := map[string]string{}
			for _, name := range set {
				var v string
				if err := json.Unmarshal(doc[name], &v); err != nil {
					return nil, fmt.Errorf("emf: dimension %q has no string value in the line", name)
				}
				dims[name] = v
			}
			for _, m := range d.Metrics {
				raw, ok := doc[m.Name]
				if !ok {
					return nil, fmt.Errorf("emf: metric %q has no value in the line", m.Name)
				}
				var vs []float64
				var one float64
				if err := json.Unmarshal(raw, &one); err == nil {
					vs = []float64{one}
				} else if err := json.Unmarshal(raw, &vs); err != nil {
					return nil, fmt.Errorf("emf: metric %q: want a number or a list of numbers, got %s", m.Name, raw)
				}
				for _, v := range vs {
					out = append(out, Datum{Namespace: d.Namespace, Metric: m.Name, Dimensions: dims, At: at, Value: v})
				}
			}
		}
	}
	return out, nil
}

// apiError is an error answered in the protocol: its awsQuery code, its Smithy shape name
// and the HTTP status.
type apiError struct {
	status      int
	shape, code string
	msg         string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func invalid(format string, a ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidParameterValueException", "InvalidParameterValue", fmt.Sprintf(format, a...)}
}

func missing(name string) *apiError {
	return &apiError{http.StatusBadRequest, "MissingRequiredParameterException", "MissingParameter", "The parameter " + name + " must be specified."}
}

// ServeHTTP answers one RPC v2 CBOR request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.URL.Path, ServicePath)
	switch {
	case r.Method != http.MethodPost || !ok:
		s.fail(w, &apiError{http.StatusNotFound, "UnknownOperationException", "UnknownOperation", "cwlocal serves POST " + ServicePath + "<operation>"})
		return
	case r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor":
		s.fail(w, invalid("missing header Smithy-Protocol: rpc-v2-cbor"))
		return
	case op != "GetMetricData":
		s.fail(w, &apiError{http.StatusBadRequest, "UnknownOperationException", "UnknownOperation", "cwlocal does not implement " + op + " (only GetMetricData)"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		s.fail(w, invalid("read body: %v", err))
		return
	}
	req, err := decodeRequest(body)
	if err != nil {
		s.fail(w, err)
		return
	}
	out, err := s.getMetricData(req)
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	_, _ = w.Write(cbor.Encode(out))
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{http.StatusInternalServerError, "InternalServiceFault", "InternalServiceError", err.Error()}
	}
	fault := "Sender"
	if ae.status >= 500 {
		fault = "Receiver"
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("X-Amzn-Query-Error", ae.code+";"+fault)
	w.WriteHeader(ae.status)
	_, _ = w.Write(cbor.Encode(cbor.Map{
		"__type":  cbor.String("com.amazonaws.cloudwatch#" + ae.shape),
		"message": cbor.String(ae.msg),
	}))
}

// query is one MetricDataQuery with a MetricStat.
type query struct {
	id, label, namespace, metric, stat string
	dims                               map[string]string
	period                             int64 // seconds
	percentile                         float64
	returnData                         bool
}

type request struct {
	start, end    time.Time
	nextToken     string
	ascending     bool
	maxDatapoints int
	queries       []query
}

var (
	idRE   = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)
	statRE = regexp.MustCompile(`^p(\d{1,2}(\.\d{1,2})?|100)$`)
)

func decodeRequest(body []byte) (*request, error) {
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, invalid("body is not CBOR: %v", err)
	}
	m, ok := v.(cbor.Map)
	if !ok {
		return nil, invalid("body is a %T, want a CBOR map", v)
	}
	req := &request{maxDatapoints: DefaultMaxDatapoints}
	if req.start, err = timeField(m, "StartTime"); err != nil {
		return nil, err
	}
	if req.end, err = timeField(m, "EndTime"); err != nil {
		return nil, err
	}
	if !req.end.After(req.start) {
		return nil, invalid("The parameter StartTime must be less than the parameter EndTime.")
	}
	if t, ok := m["NextToken"]; ok {
		s, ok := t.(cbor.String)
		if !ok {
			return nil, invalid("NextToken is a %T, want a string", t)
		}
		req.nextToken = string(s)
	}
	if sb, ok := m["ScanBy"]; ok {
		switch sb {
		case cbor.String("TimestampAscending"):
			req.ascending = true
		case cbor.String("TimestampDescending"):
		default:
			return nil, invalid("ScanBy %v: want TimestampAscending or TimestampDescending", sb)
		}
	}
	if md, ok := m["MaxDatapoints"]; ok {
		n, err := cbor.AsInt64(md)
		if err != nil || n < 1 {
			return nil, invalid("MaxDatapoints must be a positive integer")
		}
		req.maxDatapoints = int(n)
	}
	list, ok := m["MetricDataQueries"].(cbor.List)
	if !ok || len(list) == 0 {
		return nil, missing("MetricDataQueries")
	}
	if len(list) > 500 {
		return nil, invalid("MetricDataQueries holds %d queries; the maximum is 500", len(list))
	}
	seen := map[string]bool{}
	for i, qv := range list {
		q, err := decodeQuery(qv)
		if err != nil {
			var ae *apiError
			if errors.As(err, &ae) {
				ae.msg = fmt.Sprintf("MetricDataQueries[%d]: %s", i, ae.msg)
			}
			return nil, err
		}
		if seen[q.id] {
			return nil, invalid("The value %s for parameter MetricDataQueries.Id is duplicated.", q.id)
		}
		seen[q.id] = true
		req.queries = append(req.queries, q)
	}
	return req, nil
}

func timeField(m cbor.Map, name string) (time.Time, error) {
	v, ok := m[name]
	if !ok {
		return time.Time{}, missing(name)
	}
	t, err := cbor.AsTime(v)
	if err != nil {
		return time.Time{}, invalid("%s: %v", name, err)
	}
	return t, nil
}

func str(m cbor.Map, name string) string {
	if s, ok := m[name].(cbor.String); ok {
		return string(s)
	}
	return ""
}

func decodeQuery(v cbor.Value) (query, error) {
	m, ok := v.(cbor.Map)
	if !ok {
		return query{}, invalid("a query is a %T, want a map", v)
	}
	q := query{id: str(m, "Id"), label: str(m, "Label"), returnData: true}
	if !idRE.MatchString(q.id) {
		return q, invalid("Id %q must start with a lower-case letter and hold only letters, digits and underscores", q.id)
	}
	if rd, ok := m["ReturnData"].(cbor.Bool); ok {
		q.returnData = bool(rd)
	}
	if _, ok := m["Expression"]; ok {
		return q, invalid("query %s: cwlocal does not evaluate math expressions or Metrics Insights queries", q.id)
	}
	ms, ok := m["MetricStat"].(cbor.Map)
	if !ok {
		return q, missing("MetricStat")
	}
	metric, ok := ms["Metric"].(cbor.Map)
	if !ok {
		return q, missing("MetricStat.Metric")
	}
	q.namespace, q.metric = str(metric, "Namespace"), str(metric, "MetricName")
	if q.namespace == "" || q.metric == "" {
		return q, missing("MetricStat.Metric.Namespace and MetricName")
	}
	q.dims = map[string]string{}
	if dl, ok := metric["Dimensions"].(cbor.List); ok {
		for _, dv := range dl {
			dm, ok := dv.(cbor.Map)
			if !ok {
				return q, invalid("a dimension is a %T, want a map", dv)
			}
			q.dims[str(dm, "Name")] = str(dm, "Value")
		}
	}
	p, err := cbor.AsInt64(ms["Period"])
	if err != nil {
		return q, missing("MetricStat.Period")
	}
	switch {
	case p == 1 || p == 5 || p == 10 || p == 30 || (p >= 60 && p%60 == 0):
		q.period = p
	default:
		return q, invalid("Period %d: want 1, 5, 10, 30 or a multiple of 60 seconds", p)
	}
	q.stat = str(ms, "Stat")
	switch q.stat {
	case "SampleCount", "Sum", "Average", "Minimum", "Maximum":
	case "":
		return q, missing("MetricStat.Stat")
	default:
		sm := statRE.FindStringSubmatch(q.stat)
		if sm == nil {
			return q, invalid("Stat %q: want SampleCount, Sum, Average, Minimum, Maximum or a percentile like p99", q.stat)
		}
		q.percentile, _ = strconv.ParseFloat(sm[1], 64)
	}
	if q.label == "" {
		q.label = q.metric
	}
	return q, nil
}

// result is one query's datapoints, in response order.
type result struct {
	id, label string
	ts        []int64 // Unix seconds
	vs        []float64
}

// pending is a paginated response: the results and how far the client has read.
type pending struct {
	results []result
	offset  int // datapoints already returned, counted over results in order
}

// maxPending bounds the unread paginated responses kept.
const maxPending = 64

func (s *Server) getMetricData(req *request) (cbor.Map, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	var pg *pending
	if req.nextToken != "" {
		pg = s.pages[req.nextToken]
		if pg == nil {
			return nil, &apiError{http.StatusBadRequest, "InvalidNextToken", "InvalidNextToken", "The service couldn't process the NextToken " + req.nextToken}
		}
		delete(s.pages, req.nextToken)
	} else {
		pg = &pending{}
		now := s.Now()
		for _, q := range req.queries {
			if q.returnData {
				pg.results = append(pg.results, s.compute(q, req, now))
			}
		}
	}
	out := cbor.List{}
	budget := req.maxDatapoints
	skip := pg.offset
	more := false
	for _, r := range pg.results {
		n := len(r.ts)
		from := min(skip, n)
		skip -= from
		to := from + min(budget, n-from)
		budget -= to - from
		status := "Complete"
		if to < n {
			status, more = "PartialData", true
		}
		if from == n && n > 0 {
			continue // returned on an earlier page
		}
		ts := make(cbor.List, 0, to-from)
		vs := make(cbor.List, 0, to-from)
		for i := from; i < to; i++ {
			ts = append(ts, &cbor.Tag{ID: 1, Value: cbor.Uint(r.ts[i])})
			vs = append(vs, cbor.Float64(r.vs[i]))
		}
		out = append(out, cbor.Map{
			"Id": cbor.String(r.id), "Label": cbor.String(r.label), "StatusCode": cbor.String(status),
			"Timestamps": ts, "Values": vs, "Messages": cbor.List{},
		})
		pg.offset += to - from
	}
	resp := cbor.Map{"MetricDataResults": out, "Messages": cbor.List{}}
	if more {
		token := newToken()
		if len(s.pages) >= maxPending {
			for k := range s.pages { // drop an abandoned one
				delete(s.pages, k)
				break
			}
		}
		s.pages[token] = pg
		resp["NextToken"] = cbor.String(token)
	}
	return resp, nil
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Rounding returns the granularity CloudWatch rounds a StartTime down to, by its age at now:
// a minute when less than 15 days old, 5 minutes up to 63 days, an hour beyond.
func Rounding(start, now time.Time) time.Duration {
	switch age := now.Sub(start); {
	case age <= OneMinuteRetention:
		return time.Minute
	case age <= FiveMinuteRetention:
		return 5 * time.Minute
	}
	return time.Hour
}

// oldest is the earliest time whose data a query of period seconds can return at now.
func oldest(period int64, now time.Time) time.Time {
	switch {
	case period%3600 == 0:
		return now.Add(-HourlyRetention)
	case period%300 == 0:
		return now.Add(-FiveMinuteRetention)
	case period%60 == 0:
		return now.Add(-OneMinuteRetention)
	}
	return now.Add(-3 * time.Hour) // high-resolution periods
}

// compute is one query's datapoints over the request's window (the caller holds s.mu).
func (s *Server) compute(q query, req *request, now time.Time) result {
	r := result{id: q.id, label: q.label}
	se := s.series[seriesKey(q.namespace, q.metric, q.dims)]
	if se == nil {
		return r
	}
	if !se.sorted {
		slices.SortStableFunc(se.points, func(a, b point) int { return compareInt(a.ms, b.ms) })
		se.sorted = true
	}
	g := Rounding(req.start, now)
	start := req.start.Truncate(g)
	from := start
	if o := oldest(q.period, now); o.After(from) {
		from = o // older data is gone at this period's resolution
	}
	lo, hi := from.UnixMilli(), req.end.UnixMilli()
	i := sort.Search(len(se.points), func(i int) bool { return se.points[i].ms >= lo })
	periodMs := q.period * 1000
	base := start.UnixMilli()
	var bucket []float64
	var bucketStart int64 = -1
	flush := func() {
		if len(bucket) > 0 {
			r.ts = append(r.ts, bucketStart/1000)
			r.vs = append(r.vs, statistic(q, bucket))
		}
		bucket = bucket[:0]
	}
	for ; i < len(se.points) && se.points[i].ms < hi; i++ {
		p := se.points[i]
		b := base + (p.ms-base)/periodMs*periodMs
		if b != bucketStart {
			flush()
			bucketStart = b
		}
		bucket = append(bucket, p.v)
	}
	flush()
	if !req.ascending {
		slices.Reverse(r.ts)
		slices.Reverse(r.vs)
	}
	return r
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// statistic is q's statistic over one period's values (at least one).
func statistic(q query, vs []float64) float64 {
	switch q.stat {
	case "SampleCount":
		return float64(len(vs))
	case "Sum", "Average":
		sum := 0.0
		for _, v := range vs {
			sum += v
		}
		if q.stat == "Average" {
			return sum / float64(len(vs))
		}
		return sum
	case "Minimum":
		return slices.Min(vs)
	case "Maximum":
		return slices.Max(vs)
	}
	sorted := slices.Clone(vs)
	slices.Sort(sorted)
	return Percentile(sorted, q.percentile)
}

// Percentile is the nearest-rank percentile p (0-100) of sorted values: the smallest value
// with at least p% of the values at or below it.
func Percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
