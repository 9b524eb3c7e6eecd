//! A product as a channel lists it: what a catalogue read brings back and Chorus keeps per
//! channel and SKU.

/// One listing as a channel's catalogue describes it, mapped to Chorus's channel product data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    pub sku: String,
    pub listing_id: Option<String>,
    pub variant_id: Option<String>,
    pub inventory_item_id: Option<String>,
    pub location_id: Option<String>,
    pub image_url: Option<String>,
    /// Price in minor units, with the shop's currency.
    pub price: Option<(i64, String)>,
    pub weight_grams: Option<i64>,
    /// Length, width, height in millimetres.
    pub dimensions_mm: Option<(i64, i64, i64)>,
    pub hs_code: Option<String>,
    pub country_of_origin: Option<String>,
    /// The stock figure the channel shows for the listing.
    pub channel_quantity: Option<i64>,
}
