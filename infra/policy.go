package infra

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PolicyDocument is an IAM policy document as the program writes it.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one Allow statement; Resource lists exact ARNs (or ARN prefixes
// ending in "*" for object keys and log streams).
type PolicyStatement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []string `json:"Resource"`
}

// grant is a statement whose resources are still outputs.
type grant struct {
	sid       string
	actions   []string
	resources pulumi.StringArray
}

// policyJSON resolves every grant's resources and renders the policy document.
func policyJSON(grants []grant) pulumi.StringOutput {
	ins := make([]interface{}, len(grants))
	for i, g := range grants {
		ins[i] = g.resources
	}
	return pulumi.All(ins...).ApplyT(func(vs []interface{}) (string, error) {
		doc := PolicyDocument{Version: "2012-10-17"}
		for i, g := range grants {
			res, ok := vs[i].([]string)
			if !ok {
				return "", fmt.Errorf("policy statement %s: resources resolved to %T", g.sid, vs[i])
			}
			doc.Statement = append(doc.Statement, PolicyStatement{
				Sid: g.sid, Effect: "Allow", Action: g.actions, Resource: res,
			})
		}
		b, err := json.Marshal(doc)
		if err != nil {
			return "", fmt.Errorf("policy document: %w", err)
		}
		return string(b), nil
	}).(pulumi.StringOutput)
}

// assumeRolePolicy lets one AWS service assume a role.
func assumeRolePolicy(service string) string {
	b, _ := json.Marshal(map[string]interface{}{
		"Version": "2012-10-17",
		"Statement": []map[string]interface{}{{
			"Effect":    "Allow",
			"Principal": map[string]string{"Service": service},
			"Action":    "sts:AssumeRole",
		}},
	})
	return string(b)
}
