//! `GET/PUT /api/v1/channels/{id}/products/{sku}`: channel product data — listing ids, image,
//! price, weight, dimensions and customs information, per channel and SKU.

use crate::domain::ids::ChannelId;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{parse_id, unknown_channel};
use crate::db::{self, channel_products::ChannelProduct, unlinked::UnlinkedListing};
use crate::domain::money::validate_currency;
use crate::error::{ApiError, ApiResult};
use crate::http::{extract::Body, AppState};

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Dimensions {
    pub length: i64,
    pub width: i64,
    pub height: i64,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Customs {
    pub hs_code: Option<String>,
    pub country_of_origin: Option<String>,
    pub description: Option<String>,
    pub declared_value: Option<Money>,
}

/// The body of a PUT, and (with `channel_id`, `sku`, `updated_at`) what a GET shows.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelProductData {
    pub listing_id: Option<String>,
    pub variant_id: Option<String>,
    pub inventory_item_id: Option<String>,
    pub location_id: Option<String>,
    pub image_url: Option<String>,
    pub price: Option<Money>,
    pub weight_grams: Option<i64>,
    pub dimensions_mm: Option<Dimensions>,
    #[serde(default)]
    pub customs: Customs,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChannelProductView {
    channel_id: i64,
    sku: String,
    #[serde(flatten)]
    #[schema(value_type = crate::http::openapi::ChannelProductFields)]
    data: ChannelProductData,
    /// The stock figure Chorus last saw on the channel for this listing.
    channel_quantity: Option<i64>,
    linked: bool,
    updated_at: String,
}

impl From<ChannelProduct> for ChannelProductView {
    fn from(r: ChannelProduct) -> Self {
        let money = |amount: Option<i64>, currency: Option<String>| match (amount, currency) {
            (Some(amount_minor), Some(currency)) => Some(Money { amount_minor, currency }),
            _ => None,
        };
        let dimensions_mm = match (r.length_mm, r.width_mm, r.height_mm) {
            (Some(length), Some(width), Some(height)) => Some(Dimensions { length, width, height }),
            _ => None,
        };
        ChannelProductView {
            channel_id: r.channel_id,
            sku: r.sku,
            data: ChannelProductData {
                listing_id: r.listing_id,
                variant_id: r.variant_id,
                inventory_item_id: r.inventory_item_id,
                location_id: r.location_id,
                image_url: r.image_url,
                price: money(r.price_minor, r.price_currency),
                weight_grams: r.weight_grams,
                dimensions_mm,
                customs: Customs {
                    hs_code: r.hs_code,
                    country_of_origin: r.country_of_origin,
                    description: r.customs_description,
                    declared_value: money(r.declared_value_minor, r.declared_value_currency),
                },
            },
            channel_quantity: r.channel_quantity,
            linked: true,
            updated_at: crate::http::time(r.updated_at),
        }
    }
}

impl From<UnlinkedListing> for ChannelProductView {
    fn from(r: UnlinkedListing) -> Self {
        ChannelProductView {
            channel_id: r.channel_id,
            sku: r.sku,
            data: ChannelProductData {
                listing_id: r.listing_id,
                variant_id: r.variant_id,
                inventory_item_id: r.inventory_item_id,
                location_id: r.location_id,
                ..Default::default()
            },
            channel_quantity: r.channel_quantity,
            linked: false,
            updated_at: crate::http::time(r.seen_at),
        }
    }
}

/// Checks values a person or a channel could get wrong; the error names the field.
pub fn validate(d: &ChannelProductData) -> ApiResult<()> {
    let money = |m: &Option<Money>, field: &str| -> ApiResult<()> {
        if let Some(m) = m {
            validate_currency(&m.currency)
                .map_err(|e| ApiError::validation(format!("{field}.currency"), e.to_string()))?;
            if m.amount_minor < 0 {
                return Err(ApiError::validation(format!("{field}.amount_minor"), "must not be negative"));
            }
        }
        Ok(())
    };
    money(&d.price, "price")?;
    money(&d.customs.declared_value, "customs.declared_value")?;
    if d.weight_grams.is_some_and(|w| w < 0) {
        return Err(ApiError::validation("weight_grams", "must not be negative"));
    }
    if let Some(dim) = &d.dimensions_mm {
        for (name, v) in [("length", dim.length), ("width", dim.width), ("height", dim.height)] {
            if v < 0 {
                return Err(ApiError::validation(format!("dimensions_mm.{name}"), "must not be negative"));
            }
        }
    }
    if let Some(code) = &d.customs.hs_code {
        let digits: String = code.chars().filter(|c| *c != '.').collect();
        if !(6..=10).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(ApiError::validation("customs.hs_code", "must be 6 to 10 digits (dots allowed)"));
        }
    }
    if let Some(country) = &d.customs.country_of_origin {
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(ApiError::validation(
                "customs.country_of_origin",
                "must be an ISO 3166-1 alpha-2 code such as \"GB\"",
            ));
        }
    }
    if let Some(url) = &d.image_url {
        if !url.starts_with("https://") && !url.starts_with("http://") {
            return Err(ApiError::validation("image_url", "must be an http(s) URL"));
        }
    }
    Ok(())
}

pub fn to_row(channel_id: i64, sku: String, d: ChannelProductData, now: i64) -> ChannelProduct {
    let (price_minor, price_currency) = d.price.map(|m| (Some(m.amount_minor), Some(m.currency))).unwrap_or_default();
    let (declared_value_minor, declared_value_currency) =
        d.customs.declared_value.map(|m| (Some(m.amount_minor), Some(m.currency))).unwrap_or_default();
    ChannelProduct {
        channel_id,
        sku,
        listing_id: d.listing_id,
        variant_id: d.variant_id,
        inventory_item_id: d.inventory_item_id,
        location_id: d.location_id,
        image_url: d.image_url,
        price_minor,
        price_currency,
        weight_grams: d.weight_grams,
        length_mm: d.dimensions_mm.as_ref().map(|x| x.length),
        width_mm: d.dimensions_mm.as_ref().map(|x| x.width),
        height_mm: d.dimensions_mm.as_ref().map(|x| x.height),
        hs_code: d.customs.hs_code,
        country_of_origin: d.customs.country_of_origin,
        customs_description: d.customs.description,
        declared_value_minor,
        declared_value_currency,
        updated_at: now,
        channel_quantity: None,
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Page size, 1 to 1000 (default 100).
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// `true`: listings linked to a product; `false`: listings whose SKU Chorus does not know;
    /// absent: both.
    linked: Option<bool>,
}

/// `GET /api/v1/channels/{id}/products?limit=&cursor=`: the channel's listings linked to
/// products, with their data, in SKU order.
#[utoipa::path(
    get,
    path = "/api/v1/channels/{id}/products",
    tag = "channels",
    operation_id = "list_channel_products",
    summary = "List a channel's listings",
    description = "The channel's listings in SKU order, a page at a time: those linked to a product, with their data, and (unless `linked=true`) those whose SKU Chorus does not know.",
    params(
        ("id" = String, Path, description = "The channel's id."),
        Page,
    ),
    responses(
        (status = 200, description = "A page of listings.", body = crate::http::openapi::ChannelProductPage),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No channel has this id (`unknown_channel`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit` out of range or a cursor this API did not give out (`invalid_value`), or a malformed query (`invalid_query`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn list(
    state: web::Data<AppState>,
    id: web::Path<String>,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let limit = crate::http::cursor::page_limit(page.limit, 100, 1000)?;
    let after = page.cursor.as_deref().map(crate::http::cursor::decode).transpose()?;
    let linked = page.linked;
    let mut rows: Vec<ChannelProductView> = db::run(&state.pool, move |conn| {
        if db::channels::find(conn, id)?.is_none() {
            return Ok(None);
        }
        let mut rows: Vec<ChannelProductView> = Vec::new();
        if linked != Some(false) {
            let found = db::channel_products::list_for_channel(conn, id, after.as_deref(), limit + 1)?;
            rows.extend(found.into_iter().map(ChannelProductView::from));
        }
        if linked != Some(true) {
            let found = db::unlinked::list_for_channel(conn, id, after.as_deref(), limit + 1)?;
            rows.extend(found.into_iter().map(ChannelProductView::from));
        }
        Ok(Some(rows))
    })
    .await?
    .ok_or_else(|| unknown_channel(id))?;
    // Both kinds share one SKU order, so one cursor pages through them together.
    rows.sort_by(|a, b| a.sku.cmp(&b.sku));
    Ok(crate::http::cursor::page(rows, limit, |p| p.sku.clone()))
}

#[utoipa::path(
    get,
    path = "/api/v1/channels/{id}/products/{sku}",
    tag = "channels",
    operation_id = "read_channel_product",
    summary = "Read a channel's product data for a SKU",
    params(
        ("id" = String, Path, description = "The channel's id."),
        ("sku" = String, Path, description = "The product's SKU."),
    ),
    responses(
        (status = 200, description = "The product data.", body = ChannelProductView),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such channel (`unknown_channel`), or it has no product data for this SKU (`unknown_channel_product`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn read(state: web::Data<AppState>, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (id, sku) = path.into_inner();
    let id = parse_id(&id)?;
    let row = db::run(&state.pool, {
        let sku = sku.clone();
        move |conn| Ok(db::channel_products::find(conn, id, &sku)?)
    })
    .await?;
    let row = row.ok_or_else(|| {
        ApiError::not_found("unknown_channel_product", format!("channel {id} has no product data for SKU \"{sku}\""))
    })?;
    Ok(HttpResponse::Ok().json(ChannelProductView::from(row)))
}

#[utoipa::path(
    put,
    path = "/api/v1/channels/{id}/products/{sku}",
    tag = "channels",
    operation_id = "put_channel_product",
    summary = "Set a channel's product data for a SKU",
    description = "Listing ids, image, price, weight, dimensions and customs information; replaces what was stored. A new link pushes the SKU's stock to the channel.",
    params(
        ("id" = String, Path, description = "The channel's id."),
        ("sku" = String, Path, description = "The product's SKU."),
    ),
    request_body = ChannelProductData,
    responses(
        (status = 200, description = "Replaced.", body = ChannelProductView),
        (status = 201, description = "Created.", body = ChannelProductView),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such channel (`unknown_channel`) or product (`unknown_sku`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value is missing, of the wrong type or invalid, or a field is unknown (`invalid_value`, naming `field`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state, body))]
pub async fn put(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body<ChannelProductData>,
) -> ApiResult<HttpResponse> {
    let (id, sku) = path.into_inner();
    let id = parse_id(&id)?;
    validate(&body.0)?;
    let row = to_row(id, sku.clone(), body.0, db::now_ms());
    let sku_for_error = row.sku.clone();
    let (created, row) = match db::run(&state.pool, move |conn| db::channel_products::put(conn, row)).await? {
        db::channel_products::Put::NoChannel => return Err(unknown_channel(id)),
        db::channel_products::Put::NoProduct => return Err(ApiError::unknown_sku(&sku_for_error)),
        db::channel_products::Put::Saved { created, row } => (created, *row),
    };
    if created {
        state.channels.push_now(ChannelId(id));
    }
    let view = ChannelProductView::from(row);
    Ok(if created { HttpResponse::Created().json(view) } else { HttpResponse::Ok().json(view) })
}
