// Round trip of the openapi-generator `go` client against the local Ching.
//
// tests/test_interop.py builds this module against the generated client (go.mod's replace
// directives point at it) with no module proxy, and runs it with CHING_BASE_URL and
// CHING_API_KEY set. Prints `ok NAME` or `FAIL NAME: why` per check, then `roundtrip N/13`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	ching "ching.invalid/interop/ching"
)

const total = 13
const pngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

type check struct {
	name string
	run  func() error
}

func expect(ok bool, format string, args ...interface{}) error {
	if ok {
		return nil
	}
	return fmt.Errorf(format, args...)
}

func main() {
	config := ching.NewConfiguration()
	config.Servers = ching.ServerConfigurations{{URL: os.Getenv("CHING_BASE_URL")}}
	client := ching.NewAPIClient(config)
	ctx := context.WithValue(context.Background(), ching.ContextAccessToken, os.Getenv("CHING_API_KEY"))
	email := fmt.Sprintf("tal-%d@example.com", time.Now().UnixNano())
	var customerID, productID string

	checks := []check{
		{"customers_create", func() error {
			body := ching.NewCustomerCreateRequest("Tal Levi")
			body.SetEmail(email)
			body.SetMetadata(map[string]string{"user_id": "42"})
			result, _, err := client.CustomersAPI.CustomersCreate(ctx).CustomerCreateRequest(*body).Execute()
			if err != nil {
				return err
			}
			customerID = result.Data.Id
			return expect(result.Success && strings.HasPrefix(customerID, "cus_") &&
				result.Data.Email.Get() != nil && *result.Data.Email.Get() == email &&
				result.Data.Metadata["user_id"] == "42", "unexpected customer %+v", result.Data)
		}},
		{"customers_list", func() error {
			result, _, err := client.CustomersAPI.CustomersList(ctx).Execute()
			if err != nil {
				return err
			}
			for _, c := range result.Data {
				if c.Id == customerID {
					return nil
				}
			}
			return fmt.Errorf("%s not in the list", customerID)
		}},
		{"customers_retrieve", func() error {
			result, _, err := client.CustomersAPI.CustomersRetrieve(ctx, customerID).Execute()
			if err != nil {
				return err
			}
			found := result.Data
			return expect(!found.GetDeleted() && found.Id == customerID && found.GetName() == "Tal Levi",
				"unexpected %+v", found)
		}},
		{"customers_update", func() error {
			body := ching.NewCustomerUpdateRequest()
			body.SetPhone("054-987-6543")
			result, _, err := client.CustomersAPI.CustomersUpdate(ctx, customerID).CustomerUpdateRequest(*body).Execute()
			if err != nil {
				return err
			}
			phone := result.Data.Phone.Get()
			return expect(phone != nil && *phone == "+972549876543", "phone %v", phone)
		}},
		{"customers_upsert", func() error {
			body := ching.NewCustomerUpsertRequest("email")
			body.SetEmail(email)
			body.SetName("Tal")
			result, _, err := client.CustomersAPI.CustomersUpsert(ctx).CustomerUpsertRequest(*body).Execute()
			if err != nil {
				return err
			}
			action := result.Action.String
			return expect(action != nil && *action == "updated" && result.Data.Id == customerID &&
				result.Data.Name == "Tal", "action %v, customer %+v", action, result.Data)
		}},
		{"customers_delete", func() error {
			result, _, err := client.CustomersAPI.CustomersDelete(ctx, customerID).Execute()
			if err != nil {
				return err
			}
			return expect(result.Data.Id == customerID && result.Data.Deleted, "tombstone %+v", result.Data)
		}},
		{"retrieve_deleted", func() error {
			result, _, err := client.CustomersAPI.CustomersRetrieve(ctx, customerID).Execute()
			if err != nil {
				return err
			}
			gone := result.Data
			return expect(gone.GetDeleted() && gone.Id == customerID, "not a tombstone: %+v", gone)
		}},
		{"products_create", func() error {
			body := ching.NewProductCreateRequest("Pro Plan")
			body.SetDescription("Full access")
			feature := ching.NewProductFeatureInput("Priority support")
			feature.SetSubtitle("Under 4h")
			body.SetFeatures([]ching.ProductFeatureInput{*feature})
			result, _, err := client.ProductsAPI.ProductsCreate(ctx).ProductCreateRequest(*body).Execute()
			if err != nil {
				return err
			}
			productID = result.Data.Id
			features := result.Data.Features
			return expect(strings.HasPrefix(productID, "prod_") && result.Data.Active && len(features) == 1 &&
				features[0].Title == "Priority support" && features[0].Subtitle.Get() != nil &&
				*features[0].Subtitle.Get() == "Under 4h", "unexpected product %+v", result.Data)
		}},
		{"products_list", func() error {
			result, _, err := client.ProductsAPI.ProductsList(ctx).Execute()
			if err != nil {
				return err
			}
			for _, p := range result.Data {
				if p.Id == productID {
					return nil
				}
			}
			return fmt.Errorf("%s not in the list", productID)
		}},
		{"products_retrieve", func() error {
			result, _, err := client.ProductsAPI.ProductsRetrieve(ctx, productID).Execute()
			if err != nil {
				return err
			}
			return expect(result.Data.Id == productID && result.Data.Name == "Pro Plan", "product %+v", result.Data)
		}},
		{"products_update", func() error {
			body := ching.NewProductUpdateRequest()
			body.SetActive(false)
			body.SetDescriptionNil()
			result, _, err := client.ProductsAPI.ProductsUpdate(ctx, productID).ProductUpdateRequest(*body).Execute()
			if err != nil {
				return err
			}
			return expect(!result.Data.Active && result.Data.Description.Get() == nil, "product %+v", result.Data)
		}},
		{"products_upload_image", func() error {
			body := ching.NewProductImageUploadRequest(pngBase64)
			body.SetContentType("image/png")
			body.SetFilename("pro-plan")
			result, _, err := client.ProductsAPI.ProductsUploadImage(ctx).ProductImageUploadRequest(*body).Execute()
			if err != nil {
				return err
			}
			url := result.Data.Url
			return expect(strings.HasPrefix(url, "http") && strings.HasSuffix(url, "pro-plan.png"), "url %s", url)
		}},
		{"typed_error", func() error {
			_, response, err := client.CustomersAPI.CustomersRetrieve(ctx, "cus_missing").Execute()
			var apiErr *ching.GenericOpenAPIError
			if !errors.As(err, &apiErr) {
				return fmt.Errorf("not a GenericOpenAPIError: %v", err)
			}
			envelope, ok := apiErr.Model().(ching.ErrorEnvelope)
			if !ok {
				return fmt.Errorf("error body decoded as %T", apiErr.Model())
			}
			return expect(response.StatusCode == 404 && !envelope.Success && envelope.Error.Code == "NOT_FOUND" &&
				envelope.Error.Status == 404, "status %d, envelope %+v", response.StatusCode, envelope)
		}},
	}

	passed := 0
	for _, c := range checks {
		if err := c.run(); err != nil {
			message := strings.Join(strings.Fields(err.Error()), " ")
			if len(message) > 400 {
				message = message[:400]
			}
			fmt.Printf("FAIL %s: %s\n", c.name, message)
			continue
		}
		passed++
		fmt.Printf("ok %s\n", c.name)
	}
	fmt.Printf("roundtrip %d/%d\n", passed, total)
	if passed != total || len(checks) != total {
		os.Exit(1)
	}
}
