// Round trip of the openapi-generator `java` client (library `native`: java.net.http and Jackson)
// against the local Ching.
//
// scripts/interop.py compiles this file with the generated sources (javac -Werror) and runs it
// with CHING_BASE_URL and CHING_API_KEY set. Prints `ok NAME` or `FAIL NAME: why` per check,
// then `roundtrip N/13`; exits 0 only when every check passed.

import ching.api.ApiClient;
import ching.api.ApiException;
import ching.api.client.CustomersApi;
import ching.api.client.ProductsApi;
import ching.api.model.Customer;
import ching.api.model.CustomerCreateRequest;
import ching.api.model.CustomerOrDeleted;
import ching.api.model.CustomerUpdateRequest;
import ching.api.model.CustomerUpsertEnvelope;
import ching.api.model.CustomerUpsertRequest;
import ching.api.model.DeletedCustomer;
import ching.api.model.ErrorEnvelope;
import ching.api.model.Product;
import ching.api.model.ProductCreateRequest;
import ching.api.model.ProductFeature;
import ching.api.model.ProductFeatureInput;
import ching.api.model.ProductImageUploadRequest;
import ching.api.model.ProductUpdateRequest;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

public final class RoundTrip {
    static final int TOTAL = 13;
    static final String PNG_BASE64 =
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    @FunctionalInterface
    interface Check {
        void run() throws Exception;
    }

    /**
     * A Jackson mix-in that sends `description` even when it is null. The native library drops null
     * fields, and without jackson-databind-nullable (openApiNullable) a model cannot tell "not set"
     * from "null": the client that clears a field gets this mix-in, the others do not.
     */
    abstract static class SendDescriptionNull {
        @JsonInclude(JsonInclude.Include.ALWAYS)
        abstract String getDescription();
    }

    private RoundTrip() {}

    static void expect(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }

    static ApiClient client(String baseUrl, String apiKey, ObjectMapper mapper) {
        ApiClient client = new ApiClient();
        // HTTP/1.1: java.net.http would otherwise offer every plain-HTTP server an upgrade to HTTP/2.
        client.setHttpClientBuilder(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1));
        client.updateBaseUri(baseUrl);
        client.setObjectMapper(mapper);
        client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + apiKey));
        return client;
    }

    public static void main(String[] args) {
        String baseUrl = Objects.requireNonNull(System.getenv("CHING_BASE_URL"), "CHING_BASE_URL");
        String apiKey = Objects.requireNonNull(System.getenv("CHING_API_KEY"), "CHING_API_KEY");
        ObjectMapper mapper = ApiClient.createDefaultObjectMapper();
        ApiClient client = client(baseUrl, apiKey, mapper);
        ApiClient clearing = client(
            baseUrl, apiKey, mapper.copy().addMixIn(ProductUpdateRequest.class, SendDescriptionNull.class));
        CustomersApi customers = new CustomersApi(client);
        ProductsApi products = new ProductsApi(client);
        ProductsApi productsClearing = new ProductsApi(clearing);
        String email = "tal-" + Long.toString(System.nanoTime(), 36) + "@example.com";
        Map<String, String> ids = new LinkedHashMap<>();

        Map<String, Check> checks = new LinkedHashMap<>();
        checks.put("customers_create", () -> {
            var result = customers.customersCreate(
                new CustomerCreateRequest().name("Tal Levi").email(email).putMetadataItem("user_id", "42"));
            Customer customer = result.getData();
            expect(Boolean.TRUE.equals(result.getSuccess()), "success " + result.getSuccess());
            expect(customer.getId().startsWith("cus_"), "id " + customer.getId());
            expect(email.equals(customer.getEmail()) && "42".equals(customer.getMetadata().get("user_id")),
                String.valueOf(customer));
            ids.put("customer", customer.getId());
        });
        checks.put("customers_list", () -> {
            List<String> listed = new ArrayList<>();
            for (Customer customer : customers.customersList().getData()) {
                listed.add(customer.getId());
            }
            expect(listed.contains(ids.get("customer")), ids.get("customer") + " not in " + listed);
        });
        checks.put("customers_retrieve", () -> {
            CustomerOrDeleted found = customers.customersRetrieve(ids.get("customer")).getData();
            expect(!Boolean.TRUE.equals(found.getDeleted()), "got a tombstone: " + found);
            expect(ids.get("customer").equals(found.getId()) && "Tal Levi".equals(found.getName()), String.valueOf(found));
        });
        checks.put("customers_update", () -> {
            Customer updated = customers.customersUpdate(
                ids.get("customer"), new CustomerUpdateRequest().phone("054-987-6543")).getData();
            expect("+972549876543".equals(updated.getPhone()), "phone " + updated.getPhone());
        });
        checks.put("customers_upsert", () -> {
            CustomerUpsertEnvelope result = customers.customersUpsert(new CustomerUpsertRequest()
                .identifyBy(CustomerUpsertRequest.IdentifyByEnum.EMAIL).email(email).name("Tal"));
            // UpsertAction is an open enum (anyOf): its value is a String, whatever Ching sends.
            Object action = result.getAction().getActualInstance();
            expect("updated".equals(action), "action " + action);
            expect(ids.get("customer").equals(result.getData().getId()) && "Tal".equals(result.getData().getName()),
                String.valueOf(result.getData()));
        });
        checks.put("customers_delete", () -> {
            DeletedCustomer tombstone = customers.customersDelete(ids.get("customer")).getData();
            expect(ids.get("customer").equals(tombstone.getId()) && Boolean.TRUE.equals(tombstone.getDeleted()),
                String.valueOf(tombstone));
        });
        checks.put("retrieve_deleted", () -> {
            CustomerOrDeleted found = customers.customersRetrieve(ids.get("customer")).getData();
            expect(Boolean.TRUE.equals(found.getDeleted()) && ids.get("customer").equals(found.getId()),
                "not a tombstone: " + found);
        });
        checks.put("products_create", () -> {
            Product product = products.productsCreate(new ProductCreateRequest()
                .name("Pro Plan")
                .description("Full access")
                .addFeaturesItem(new ProductFeatureInput().title("Priority support").subtitle("Under 4h"))).getData();
            expect(product.getId().startsWith("prod_") && Boolean.TRUE.equals(product.getActive()), String.valueOf(product));
            List<String> features = new ArrayList<>();
            for (ProductFeature feature : product.getFeatures()) {
                features.add(feature.getTitle() + "/" + feature.getSubtitle());
            }
            expect(features.equals(List.of("Priority support/Under 4h")), String.valueOf(features));
            ids.put("product", product.getId());
        });
        checks.put("products_list", () -> {
            List<String> listed = new ArrayList<>();
            for (Product product : products.productsList().getData()) {
                listed.add(product.getId());
            }
            expect(listed.contains(ids.get("product")), ids.get("product") + " not in " + listed);
        });
        checks.put("products_retrieve", () -> {
            Product product = products.productsRetrieve(ids.get("product")).getData();
            expect(ids.get("product").equals(product.getId()) && "Pro Plan".equals(product.getName()),
                String.valueOf(product));
        });
        checks.put("products_update", () -> {
            Product product = productsClearing.productsUpdate(
                ids.get("product"), new ProductUpdateRequest().active(false).description(null)).getData();
            expect(Boolean.FALSE.equals(product.getActive()) && product.getDescription() == null, String.valueOf(product));
        });
        checks.put("products_upload_image", () -> {
            String url = products.productsUploadImage(new ProductImageUploadRequest()
                .content(PNG_BASE64)
                .contentType(ProductImageUploadRequest.ContentTypeEnum.IMAGE_PNG)
                .filename("pro-plan")).getData().getUrl().toString();
            expect(url.startsWith("http") && url.endsWith("pro-plan.png"), "url " + url);
        });
        checks.put("typed_error", () -> {
            try {
                customers.customersRetrieve("cus_missing");
            } catch (ApiException error) {
                // The native library keeps an error's body as text: decode it with the client's mapper.
                ErrorEnvelope envelope = mapper.readValue(error.getResponseBody(), ErrorEnvelope.class);
                expect(error.getCode() == 404 && Boolean.FALSE.equals(envelope.getSuccess()), "status " + error.getCode());
                expect("NOT_FOUND".equals(envelope.getError().getCode()) && envelope.getError().getStatus() == 404,
                    String.valueOf(envelope));
                return;
            }
            throw new IllegalStateException("no error for a missing customer");
        });

        int passed = 0;
        for (Map.Entry<String, Check> check : checks.entrySet()) {
            try {
                check.getValue().run();
                passed += 1;
                System.out.println("ok " + check.getKey());
            } catch (Exception error) {
                String why = String.valueOf(error).replaceAll("\\s+", " ");
                System.out.println("FAIL " + check.getKey() + ": " + why.substring(0, Math.min(400, why.length())));
            }
        }
        System.out.println("roundtrip " + passed + "/" + TOTAL);
        System.exit(passed == TOTAL && checks.size() == TOTAL ? 0 : 1);
    }
}
