package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/lambdabridge/lambdabridge/config"
	"github.com/lambdabridge/lambdabridge/handlers/source"
	"github.com/lambdabridge/lambdabridge/internal/exitcode"
)

// HeadersEnv is config.HeadersEnv, where --measure-stack finds the source's headers.
const HeadersEnv = config.HeadersEnv

// keySourceURL is the stack key --measure-stack measures.
const keySourceURL = "lambdabridge:sourceUrl"

// checkMeasureStack refuses flags that contradict --measure-stack.
func (o options) checkMeasureStack() error {
	if !o.measureStack {
		return nil
	}
	for _, f := range []string{"measure", "sample", "payload", "compressed", "ipv6", "from-metrics"} {
		if o.set[f] {
			return usagef("--measure-stack measures the stack's own sourceUrl: --%s measures or gives the same figures: give one", f)
		}
	}
	return nil
}

// getenv reads the environment (os.Getenv unless a test replaced it).
func (c *cli) getenv(key string) string {
	if c.env != nil {
		return c.env(key)
	}
	return os.Getenv(key)
}

// measureStack GETs the stack's own sourceUrl with the request headers the deployed fetcher
// would send, and says where they came from without showing a value: LAMBDABRIDGE_SOURCE_HEADERS,
// or a stack key in plain text; an encrypted stack key is reported as set but unreadable.
func (c *cli) measureStack(ctx context.Context, o options, cfg config.Config, info io.Writer) (measurement, error) {
	if o.noStack {
		return measurement{}, usagef("--measure-stack measures a stack's sourceUrl, and there is no Pulumi.yaml here: give --dir (or --measure URL)")
	}
	if cfg.SourceURL == "" {
		return measurement{}, usagef("--measure-stack: config %s (stack %s) is empty: set it (pulumi config set sourceUrl URL), or measure any URL with --measure URL", keySourceURL, o.stack)
	}
	headers, notes, err := c.stackHeaders(cfg)
	if err != nil {
		return measurement{}, err
	}
	safe := source.SafeURL(cfg.SourceURL)
	fmt.Fprintf(info, "stack %s: GET %s (%s) with %s\n", o.stack, safe, keySourceURL, describeHeaders(headers))
	for _, n := range notes {
		fmt.Fprintln(info, "  "+n)
	}
	m, err := c.measureGET(ctx, getRequest{url: cfg.SourceURL, source: safe, name: "config " + keySourceURL, headers: headers}, o.timeout)
	var status *statusError
	if errors.As(err, &status) && (status.code == http.StatusUnauthorized || status.code == http.StatusForbidden) && len(headers) == 0 {
		return m, fmt.Errorf("%w; no request headers were sent: put the source's key in %s (see above)", err, HeadersEnv)
	}
	return m, err
}

// stackHeaders are the headers --measure-stack sends, and what to say about them
// (config.LocalHeaders); a malformed LAMBDABRIDGE_SOURCE_HEADERS is bad input.
func (c *cli) stackHeaders(cfg config.Config) (map[string]string, []string, error) {
	h, notes, err := cfg.LocalHeaders(c.getenv)
	if err != nil {
		return nil, nil, &exitcode.UsageError{Err: err}
	}
	return h, notes, nil
}

// describeHeaders names the headers sent, never their values.
func describeHeaders(h map[string]string) string {
	if len(h) == 0 {
		return "no request headers"
	}
	return "headers " + strings.Join(source.HeaderNames(h), ", ")
}

// statusError is a non-2xx answer to a measuring GET.
type statusError struct {
	url    string
	code   int
	status string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("measure %s: status %s: the plan needs a successful response", e.url, e.status)
}
