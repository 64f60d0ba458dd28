package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/lambdabridge/lambdabridge/handlers/source"
	"github.com/lambdabridge/lambdabridge/internal/exitcode"
)

// maxMeasureBytes caps the body --measure reads into memory (128 MiB): far beyond anything
// a destination record or a single Lambda invocation handles, so a larger body is an error,
// not a plan.
const maxMeasureBytes = 128 << 20

// measureURL GETs rawURL once within timeout and measures the body with the fetcher's codec,
// and asks the resolver whether the host has an AAAA record. A malformed URL is bad input;
// a network failure or a non-2xx status is a runtime failure.
func (c *cli) measureURL(ctx context.Context, rawURL string, timeout time.Duration) (measurement, error) {
	return c.measureGET(ctx, getRequest{url: rawURL, source: rawURL, name: "--measure"}, timeout)
}

// getRequest is one GET to measure: the URL, how the report shows it (source), how errors
// name where it came from (a flag or a stack key), and secret headers to send (never shown).
type getRequest struct {
	url, source, name string
	headers           map[string]string
}

// measureGET is measureURL for any getRequest.
func (c *cli) measureGET(ctx context.Context, g getRequest, timeout time.Duration) (measurement, error) {
	rawURL := g.url
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return measurement{}, usagef("%s %q: want an absolute http:// or https:// URL", g.name, source.SafeURL(rawURL))
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return measurement{}, usagef("%s %q: %w", g.name, source.SafeURL(rawURL), err)
	}
	req.Header.Set("User-Agent", "lambdabridge-plan (+https://github.com/lambdabridge/lambdabridge)")
	req.Header.Set("Accept", "application/json, */*;q=0.5")
	for k, v := range g.headers {
		req.Header.Set(k, v)
	}
	// Errors name the URL without its query string or user info, which may hold an API key.
	safe := source.SafeURL(rawURL)
	resp, err := c.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = safe // net/http quotes the full URL in its errors
		}
		return measurement{}, fmt.Errorf("measure %s: %w", safe, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return measurement{}, &statusError{url: safe, code: resp.StatusCode, status: resp.Status}
	}
	// The transport undoes a gzip Content-Encoding itself, so this is the raw body the
	// fetcher's codec will see.
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMeasureBytes+1))
	if err != nil {
		return measurement{}, fmt.Errorf("measure %s: read body: %w", safe, err)
	}
	if len(body) > maxMeasureBytes {
		return measurement{}, fmt.Errorf("measure %s: body larger than %d bytes", safe, maxMeasureBytes)
	}
	m, err := compressed(measurement{Source: g.source, Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}, body)
	if err != nil {
		var u *exitcode.UsageError
		if errors.As(err, &u) { // an empty body is the source's doing, not the caller's
			return m, fmt.Errorf("measure %s: empty body", safe)
		}
		return m, err
	}
	m.measuredIPv6 = true
	m.HasIPv6, m.IPv6Note = c.hasAAAA(ctx, u.Hostname())
	return m, nil
}

// hasAAAA reports whether host has an IPv6 address. "No such record" is a definite no;
// any other failure (timeout, no resolver) leaves the answer unknown, with the reason.
func (c *cli) hasAAAA(ctx context.Context, host string) (*bool, string) {
	ips, err := c.resolver.LookupIP(ctx, "ip6", host)
	yes, no := true, false
	if err == nil {
		if len(ips) > 0 {
			return &yes, ""
		}
		return &no, ""
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return &no, ""
	}
	var addrErr *net.AddrError // an IPv4 literal has no IPv6 address
	if errors.As(err, &addrErr) {
		return &no, ""
	}
	return nil, fmt.Sprintf("AAAA lookup of %s failed: %v", host, err)
}
