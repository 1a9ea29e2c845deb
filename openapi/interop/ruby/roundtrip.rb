# frozen_string_literal: true

# Round trip of the openapi-generator `ruby` client (Typhoeus) against the local Ching.
#
# scripts/interop.py runs this file with `ruby -w`, the generated `lib/` on the load path and
# CHING_BASE_URL / CHING_API_KEY set. Prints `ok NAME` or `FAIL NAME: why` per check, then
# `roundtrip N/13`; exits 0 only when every check passed.

require 'json'
require 'uri'
require 'ching_api'

TOTAL = 13
PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='

def expect(condition, message)
  raise message unless condition
end

base = URI(ENV.fetch('CHING_BASE_URL'))
config = ChingApi::Configuration.new
config.scheme = base.scheme
config.host = "#{base.host}:#{base.port}"
config.base_path = base.path
config.access_token = ENV.fetch('CHING_API_KEY')
client = ChingApi::ApiClient.new(config)
customers = ChingApi::CustomersApi.new(client)
products = ChingApi::ProductsApi.new(client)
email = "tal-#{Process.clock_gettime(Process::CLOCK_REALTIME, :nanosecond).to_s(36)}@example.com"
ids = {}

checks = {
  customers_create: lambda do
    request = ChingApi::CustomerCreateRequest.new(name: 'Tal Levi', email: email, metadata: { 'user_id' => '42' })
    result = customers.customers_create(request)
    expect(result.success == true, "success #{result.success.inspect}")
    expect(result.data.id.start_with?('cus_'), "id #{result.data.id}")
    expect(result.data.email == email && result.data.metadata['user_id'] == '42', result.data.to_hash.inspect)
    ids[:customer] = result.data.id
  end,
  customers_list: lambda do
    listed = customers.customers_list.data.map(&:id)
    expect(listed.include?(ids[:customer]), "#{ids[:customer]} not in #{listed}")
  end,
  customers_retrieve: lambda do
    found = customers.customers_retrieve(ids[:customer]).data
    expect(found.deleted != true, "got a tombstone: #{found.to_hash}")
    expect(found.id == ids[:customer] && found.name == 'Tal Levi', found.to_hash.inspect)
  end,
  customers_update: lambda do
    request = ChingApi::CustomerUpdateRequest.new(phone: '054-987-6543')
    updated = customers.customers_update(ids[:customer], request).data
    expect(updated.phone == '+972549876543', "phone #{updated.phone.inspect}")
  end,
  customers_upsert: lambda do
    request = ChingApi::CustomerUpsertRequest.new(identify_by: 'email', email: email, name: 'Tal')
    result = customers.customers_upsert(request)
    # UpsertAction is an open enum (anyOf): the value is the String Ching sent, whatever it is.
    expect(result.action == 'updated', "action #{result.action.inspect}")
    expect(result.data.id == ids[:customer] && result.data.name == 'Tal', result.data.to_hash.inspect)
  end,
  customers_delete: lambda do
    tombstone = customers.customers_delete(ids[:customer]).data
    expect(tombstone.id == ids[:customer] && tombstone.deleted == true, tombstone.to_hash.inspect)
  end,
  retrieve_deleted: lambda do
    found = customers.customers_retrieve(ids[:customer]).data
    expect(found.deleted == true && found.id == ids[:customer], "not a tombstone: #{found.to_hash}")
  end,
  products_create: lambda do
    feature = ChingApi::ProductFeatureInput.new(title: 'Priority support', subtitle: 'Under 4h')
    request = ChingApi::ProductCreateRequest.new(name: 'Pro Plan', description: 'Full access', features: [feature])
    product = products.products_create(request).data
    expect(product.id.start_with?('prod_') && product.active == true, product.to_hash.inspect)
    features = product.features.map { |f| [f.title, f.subtitle] }
    expect(features == [['Priority support', 'Under 4h']], features.inspect)
    ids[:product] = product.id
  end,
  products_list: lambda do
    listed = products.products_list.data.map(&:id)
    expect(listed.include?(ids[:product]), "#{ids[:product]} not in #{listed}")
  end,
  products_retrieve: lambda do
    product = products.products_retrieve(ids[:product]).data
    expect(product.id == ids[:product] && product.name == 'Pro Plan', product.to_hash.inspect)
  end,
  products_update: lambda do
    # A nullable attribute set to nil is sent as an explicit null: Ching clears the description.
    request = ChingApi::ProductUpdateRequest.new(active: false, description: nil)
    product = products.products_update(ids[:product], request).data
    expect(product.active == false && product.description.nil?, product.to_hash.inspect)
  end,
  products_upload_image: lambda do
    request = ChingApi::ProductImageUploadRequest.new(content: PNG_BASE64, content_type: 'image/png', filename: 'pro-plan')
    url = products.products_upload_image(request).data.url
    expect(url.start_with?('http') && url.end_with?('pro-plan.png'), "url #{url}")
  end,
  typed_error: lambda do
    begin
      customers.customers_retrieve('cus_missing')
    rescue ChingApi::ApiError => e
      envelope = ChingApi::ErrorEnvelope.build_from_hash(JSON.parse(e.response_body, symbolize_names: true))
      expect(e.code == 404 && envelope.success == false, "status #{e.code}")
      expect(envelope.error.code == 'NOT_FOUND' && envelope.error.status == 404, envelope.to_hash.inspect)
      next
    end
    raise 'no error for a missing customer'
  end
}

passed = 0
checks.each do |name, check|
  check.call
  passed += 1
  puts "ok #{name}"
rescue StandardError => e
  puts "FAIL #{name}: #{"#{e.class}: #{e.message}".gsub(/\s+/, ' ')[0, 400]}"
end
puts "roundtrip #{passed}/#{TOTAL}"
exit(passed == TOTAL && checks.size == TOTAL ? 0 : 1)
