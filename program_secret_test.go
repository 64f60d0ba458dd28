package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/lambdabridge/lambdabridge/handlers/fetcher"
	"github.com/lambdabridge/lambdabridge/planner"
)

// mockAPIKey is the secret of the tests below: it may be in the SSM parameter's value (as a
// Pulumi secret) and nowhere else the program writes.
const mockAPIKey = "mock-api-key-7c1d2e3f"

var (
	headersParam    = "/" + prefix + "/source-headers"
	headersParamArn = fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s/source-headers", region, account, prefix)
)

// runCapture runs deploy under mocks like runProgram, and also returns the text report it
// logged and every stack output resolved to its text.
func runCapture(t *testing.T, cfg map[string]string) (m *mocks, report string, outputs map[string]string) {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(pulumi.EnvConfig, string(b))
	m, outputs = &mocks{}, map[string]string{}
	dir := t.TempDir()
	var mu sync.Mutex
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		outs, err := deploy(ctx, deployOptions{Build: fakeBuild, BuildDir: dir, Report: func(s string) { report += s }})
		if err != nil {
			return err
		}
		var wg sync.WaitGroup
		for k, o := range outs {
			wg.Add(1)
			pulumi.ToOutput(o).ApplyT(func(v interface{}) error {
				defer wg.Done()
				mu.Lock()
				outputs[k] = fmt.Sprint(v)
				mu.Unlock()
				return nil
			})
		}
		wg.Wait()
		return nil
	}, pulumi.WithMocks("lambdabridge", "dev", m))
	if err != nil {
		t.Fatal(err)
	}
	return m, report, outputs
}

// TestProgramSourceHeadersSecret is the secret-free-environment test for secret source
// headers, for every topology: the mocked key is in the SSM SecureString's value (a Pulumi
// secret) and nowhere else — not in any function's environment (which holds the parameter's
// name for the fetching function only), not in any other input, not in the report, not in a
// stack output. The fetching function's role may read that one parameter; no role gets any
// other SSM or KMS action. A relay reaches SSM through its NAT or, in ipv6, over IPv6 through
// the dual-stack endpoint, and no VPC endpoint is created for it.
func TestProgramSourceHeadersSecret(t *testing.T) {
	headers := `{"X-Api-Key":"` + mockAPIKey + `"}`
	for _, topo := range planner.AllTopologies {
		t.Run(string(topo), func(t *testing.T) {
			m, report, outputs := runCapture(t, with(map[string]string{"lambdabridge:topology": string(topo), "lambdabridge:sourceHeaders": headers}))
			shape, err := planner.ShapeOf(topo)
			if err != nil {
				t.Fatal(err)
			}

			params := m.byType("aws:ssm/parameter:Parameter")
			if len(params) != 1 {
				t.Fatalf("%d SSM parameters, want 1", len(params))
			}
			p := params[0]
			if p.in["name"] != headersParam || p.in["type"] != "SecureString" || p.in["tier"] != "Standard" {
				t.Errorf("parameter %v %v %v, want %s, SecureString, Standard", p.in["name"], p.in["type"], p.in["tier"], headersParam)
			}
			if v := p.raw["value"]; !v.IsSecret() || v.SecretValue().Element.StringValue() != headers {
				t.Errorf("parameter value secret=%v, want the headers as a secret", v.IsSecret())
			}
			// What is provisioned is what the planner priced: one standard parameter.
			rep, _ := planFor(t, with(map[string]string{"lambdabridge:topology": string(topo), "lambdabridge:sourceHeaders": headers}))
			priced := -1.0
			for _, l := range rep.Common {
				if strings.HasPrefix(l.Item, "Parameter Store standard SecureString") {
					priced = l.Quantity
				}
			}
			if priced != float64(len(params)) || p.in["tier"] != "Standard" {
				t.Errorf("priced %v standard parameter-months (-1: none); provisioned %d parameter(s) of tier %v", priced, len(params), p.in["tier"])
			}
			onlySecret(t, m, mockAPIKey)

			for _, fn := range m.byType("aws:lambda/function:Function") {
				role := strings.TrimPrefix(fn.name, "functions-")
				vars, secret := environment(t, m, role)
				for k, v := range vars {
					if strings.Contains(v, mockAPIKey) {
						t.Errorf("%s environment %s holds the key", role, k)
					}
				}
				fact, _ := planner.FunctionOf(planner.Role(role))
				wantParam, wantDual := "", ""
				if fact.Fetches {
					wantParam = headersParam
					if shape.SecretAccess(planner.Role(role)) == planner.SecretOverIPv6 {
						wantDual = "true"
					}
				}
				if vars["SOURCE_HEADERS_PARAMETER"] != wantParam || vars["SOURCE_HEADERS_DUALSTACK"] != wantDual {
					t.Errorf("%s SOURCE_HEADERS_PARAMETER %q SOURCE_HEADERS_DUALSTACK %q, want %q %q", role,
						vars["SOURCE_HEADERS_PARAMETER"], vars["SOURCE_HEADERS_DUALSTACK"], wantParam, wantDual)
				}
				if _, ok := vars["SOURCE_HEADERS"]; ok {
					t.Errorf("%s has SOURCE_HEADERS", role)
				}
				if fact.Fetches {
					// The handler's own parser finds the parameter, and no header value.
					ss, err := fetcher.SourceSettingsFromEnv(func(k string) string { return vars[k] })
					if err != nil || ss.HeadersParameter != headersParam || ss.HeadersDualStack != (wantDual == "true") || ss.Config.Headers != nil {
						t.Errorf("%s source settings from its environment: %+v, %v", role, ss, err)
					}
				}
				if role == string(planner.Fetcher) && secret {
					t.Errorf("the fetcher's environment became a secret: it holds no secret, only a parameter name")
				}
			}

			for _, pol := range m.byType("aws:iam/rolePolicy:RolePolicy") {
				role := strings.TrimSuffix(strings.TrimPrefix(pol.name, "functions-"), "-policy")
				fact, _ := planner.FunctionOf(planner.Role(role))
				g := grants(policy(t, pol))
				got, has := g["ssm:GetParameter"]
				if fact.Fetches != has || (has && !slices.Equal(got, []string{headersParamArn})) {
					t.Errorf("%s ssm:GetParameter on %v (granted %v), want only %s for the fetching function", role, got, has, headersParamArn)
				}
				for actions := range g {
					if (strings.Contains(actions, "ssm:") && actions != "ssm:GetParameter") || strings.Contains(actions, "kms:") {
						t.Errorf("%s is granted %s", role, actions)
					}
				}
			}

			for _, ep := range m.byType("aws:ec2/vpcEndpoint:VpcEndpoint") {
				if ep.in["vpcEndpointType"] != "Gateway" {
					t.Errorf("a %v VPC endpoint %v: Parameter Store is reached without one", ep.in["vpcEndpointType"], ep.in["serviceName"])
				}
			}

			if strings.Contains(report, mockAPIKey) {
				t.Error("the report holds the key")
			}
			if !strings.Contains(report, "KMS Decrypt of sourceHeaders") {
				t.Errorf("the report does not price the headers:\n%s", report)
			}
			for k, v := range outputs {
				if strings.Contains(v, mockAPIKey) {
					t.Errorf("stack output %s holds the key", k)
				}
			}
		})
	}
}

// TestProgramSourceHeadersEgress: a relay reading the headers must reach Parameter Store on
// HTTPS (443) when its source's own port is another: through the NAT over IPv4, or over IPv6
// in the ipv6 topology; with a source on 443 the source's rule already covers it.
func TestProgramSourceHeadersEgress(t *testing.T) {
	headers := `{"X-Api-Key":"` + mockAPIKey + `"}`
	cases := []struct {
		topo, url, rule, v4, v6 string
	}{
		{"nat-instance", "http://api.example.com/v1", "network-functions-to-ssm", "0.0.0.0/0", ""},
		{"nat-gateway", "https://api.example.com:8443/v1", "network-functions-to-ssm", "0.0.0.0/0", ""},
		{"ipv6", "http://api.example.com:8080/v1", "network-functions-to-ssm-v6", "", "::/0"},
		{"ipv6", "https://api.example.com/v1", "", "", ""},
		{"destination", "http://api.example.com/v1", "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.topo+" "+tc.url, func(t *testing.T) {
			m, err := runProgram(t, with(map[string]string{"lambdabridge:topology": tc.topo, "lambdabridge:sourceUrl": tc.url, "lambdabridge:sourceHeaders": headers}))
			if err != nil {
				t.Fatal(err)
			}
			var ssmRules []string
			for _, n := range m.names("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") {
				if strings.Contains(n, "-to-ssm") {
					ssmRules = append(ssmRules, n)
				}
			}
			if tc.rule == "" {
				if len(ssmRules) != 0 {
					t.Errorf("egress rules %v, want none for SSM", ssmRules)
				}
				return
			}
			if len(ssmRules) != 1 {
				t.Fatalf("SSM egress rules %v, want %s", ssmRules, tc.rule)
			}
			r := m.named(t, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", tc.rule)
			if fmt.Sprint(r.in["fromPort"]) != "443" || fmt.Sprint(r.in["toPort"]) != "443" || r.in["ipProtocol"] != "tcp" {
				t.Errorf("%s: %v-%v %v, want tcp 443", tc.rule, r.in["fromPort"], r.in["toPort"], r.in["ipProtocol"])
			}
			if v4, _ := r.in["cidrIpv4"].(string); v4 != tc.v4 {
				t.Errorf("%s cidrIpv4 %q, want %q", tc.rule, v4, tc.v4)
			}
			if v6, _ := r.in["cidrIpv6"].(string); v6 != tc.v6 {
				t.Errorf("%s cidrIpv6 %q, want %q", tc.rule, v6, tc.v6)
			}
		})
	}
}

// TestProgramWithoutSourceHeaders: no headers, no parameter, no SSM grant, no parameter name.
func TestProgramWithoutSourceHeaders(t *testing.T) {
	m, err := runProgram(t, with(map[string]string{"lambdabridge:topology": "nat-gateway"}))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.byType("aws:ssm/parameter:Parameter")); n != 0 {
		t.Errorf("%d SSM parameters without sourceHeaders", n)
	}
	if _, ok := env(t, m, "relay")["SOURCE_HEADERS_PARAMETER"]; ok {
		t.Error("the relay names a headers parameter without sourceHeaders")
	}
	if _, ok := grants(policy(t, m.named(t, "aws:iam/rolePolicy:RolePolicy", "functions-relay-policy")))["ssm:GetParameter"]; ok {
		t.Error("the relay may read SSM without sourceHeaders")
	}
}

// TestProgramBadSourceHeaders: a malformed value fails the preview naming the key, not the value.
func TestProgramBadSourceHeaders(t *testing.T) {
	_, err := runProgram(t, with(map[string]string{"lambdabridge:sourceHeaders": `X-Api-Key: ` + mockAPIKey}))
	if err == nil || !strings.Contains(err.Error(), "lambdabridge:sourceHeaders") {
		t.Fatalf("err = %v, want the key named", err)
	}
	if strings.Contains(err.Error(), mockAPIKey) {
		t.Errorf("the error holds the value: %v", err)
	}
}
