package main

// plan prices: fetch the book's regional prices from the AWS Price List.
//
//	go run ./cmd/plan prices --region eu-central-1                  # writes prices-eu-central-1.json
//	go run ./cmd/plan --region eu-central-1 --prices prices-eu-central-1.json
//	go run ./cmd/plan prices --region us-east-1,eu-west-1 --book planner/book.json   # maintainers
//
// It needs AWS credentials (any identity allowed pricing:GetProducts) found the standard
// SDK way; the Price List Query API is called in us-east-1 whatever region is priced, and
// AWS_ENDPOINT_URL_PRICING redirects it. docs/prices.md describes the command.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lambdabridge/lambdabridge/internal/pricelist"
	"github.com/lambdabridge/lambdabridge/planner"
)

// pricesOptions are the flags of plan prices.
type pricesOptions struct {
	regions []string
	out     string
	book    string
}

func parsePricesFlags(args []string, stdout io.Writer) (pricesOptions, error) {
	var o pricesOptions
	var region string
	fs := flag.NewFlagSet("plan prices", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&region, "region", "", "region(s) to price, comma-separated, e.g. eu-central-1 (aws partition only)")
	fs.StringVar(&o.out, "out", "", "prices `file` to write (default prices-REGION.json for one region)")
	fs.StringVar(&o.book, "book", "", "maintainers: add the prices to this price-book `file` (planner/book.json), keeping old values as history")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "Usage: plan prices --region R[,R...] [--out FILE | --book planner/book.json]\n\n"+
				"Fetches every regional price the planner uses from the AWS Price List Query API (credentials the\n"+
				"standard AWS SDK way; the API is called in us-east-1), writes them as a prices file for --prices\n"+
				"(or into the price book) and prints the change against the embedded book.\n\nFlags:")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		} else {
			err = usagef("prices: %v (run plan prices -h for the flags)", err)
		}
		return o, err
	}
	if fs.NArg() > 0 {
		return o, usagef("prices: unexpected argument %q (run plan prices -h)", fs.Arg(0))
	}
	if region == "" {
		return o, usagef("prices: --region is required, e.g. --region eu-central-1")
	}
	seen := map[string]bool{}
	for _, r := range strings.Split(region, ",") {
		r = strings.TrimSpace(r)
		if err := pricelist.CheckRegion(r); err != nil {
			return o, usagef("prices: --region: %w", err)
		}
		if !seen[r] {
			seen[r] = true
			o.regions = append(o.regions, r)
		}
	}
	switch {
	case o.out != "" && o.book != "":
		return o, usagef("prices: --out writes a prices file and --book updates the price book: give one")
	case o.out == "" && o.book == "" && len(o.regions) > 1:
		return o, usagef("prices: several regions go to one file: give --out FILE (or --book)")
	case o.out == "" && o.book == "":
		o.out = "prices-" + o.regions[0] + ".json"
	}
	return o, nil
}

// prices runs plan prices: resolve every region's items, print the diff against the
// embedded book, then write the prices file or update the book.
func (c *cli) prices(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parsePricesFlags(args, stdout)
	if err != nil {
		return err
	}
	book, err := planner.LoadBook("")
	if err != nil {
		return fmt.Errorf("load price book: %w", err)
	}
	client, err := pricelist.Load(ctx)
	if err != nil {
		return fmt.Errorf("prices: %w", err)
	}
	today := c.now().UTC()
	fetched := map[string]map[string]planner.Entry{}
	var errs []error
	for _, region := range o.regions {
		ps, err := client.ResolveAll(ctx, region)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fetched[region] = map[string]planner.Entry{}
		for _, p := range ps {
			fetched[region][p.Item] = p.Entry()
		}
		printDiff(stdout, book, region, ps, today)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("prices: nothing written: %w", err)
	}

	if o.book != "" {
		if err := planner.UpdateBookFile(o.book, fetched); err != nil {
			return fmt.Errorf("prices: %w", err)
		}
		fmt.Fprintf(stdout, "updated %s: %s (older values kept as history; review with git diff)\n", o.book, strings.Join(o.regions, ", "))
		return nil
	}
	regions := map[string]map[string][]planner.Entry{}
	for region, items := range fetched {
		regions[region] = map[string][]planner.Entry{}
		for item, e := range items {
			h, err := planner.AddEntry(book.History(region, item), e)
			if err != nil {
				return fmt.Errorf("prices: %s %s: %w", region, item, err)
			}
			regions[region][item] = h
		}
	}
	notes := []string{
		fmt.Sprintf("Fetched from the AWS Price List Query API (GetProducts) on %s by `go run ./cmd/plan prices --region %s`.",
			today.Format(time.DateOnly), strings.Join(o.regions, ",")),
		"Each region's entries before the Price List's effective date are the embedded book's, kept so --as-of reproduces earlier plans.",
	}
	var buf bytes.Buffer
	if err := planner.EncodePrices(&buf, notes, regions); err != nil {
		return fmt.Errorf("prices: %w", err)
	}
	if err := os.WriteFile(o.out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("prices: %w", err)
	}
	if _, err := planner.LoadBook(o.out); err != nil {
		return fmt.Errorf("prices: the file written does not load: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%s)\n", o.out, strings.Join(o.regions, ", "))
	for _, r := range o.regions {
		fmt.Fprintf(stdout, "plan with: go run ./cmd/plan --region %s --prices %s\n", r, o.out)
	}
	return nil
}

// printDiff prints, for each item, the embedded book's value in force today, the Price
// List's and the change in percent.
func printDiff(w io.Writer, book *planner.Book, region string, ps []pricelist.Price, today time.Time) {
	fmt.Fprintf(w, "%s: AWS Price List against the embedded book (in force %s)\n", region, today.Format(time.DateOnly))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "item\tbook\tprice list\tchange\tunit\tSKU")
	for _, p := range ps {
		old, oldText, change := 0.0, "-", "new region"
		if book.HasRegion(region) {
			if e, err := book.Lookup(region, p.Item, today); err == nil {
				old, oldText = e.Value, formatUSD(e.Value)
				change = changePercent(old, p.USD)
			} else {
				change = "new item"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Item, oldText, formatUSD(p.USD), change, p.BookUnit, p.SKU)
	}
	tw.Flush()
}

// formatUSD writes a price without exponent: 0.0000002, 0.045.
func formatUSD(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// changePercent is (new - old) / old in percent, one decimal, signed.
func changePercent(old, new float64) string {
	switch {
	case old == new:
		return "0.0%"
	case old == 0:
		return "was 0"
	}
	return fmt.Sprintf("%+.1f%%", (new-old)/old*100)
}
