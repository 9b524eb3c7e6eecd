//! The portable schema: one definition for SQLite and PostgreSQL (BigInt, Integer, Text, Bool).

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    products (sku) {
        sku -> Text,
        title -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    stock_levels (sku) {
        sku -> Text,
        on_hand -> BigInt,
        allocated -> BigInt,
        version -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    inventory_sources (sku, source) {
        sku -> Text,
        source -> Text,
        quantity -> BigInt,
        as_of -> Nullable<BigInt>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    channels (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        base_url -> Text,
        credentials -> Text,
        poll_interval_secs -> BigInt,
        import_unpaid -> Bool,
        import_fulfilled -> Bool,
        stock_buffer -> BigInt,
        enabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        ships_from -> Text,
        reserve_unpaid -> Bool,
        options -> Text,
    }
}

diesel::table! {
    channel_products (channel_id, sku) {
        channel_id -> BigInt,
        sku -> Text,
        listing_id -> Nullable<Text>,
        variant_id -> Nullable<Text>,
        inventory_item_id -> Nullable<Text>,
        location_id -> Nullable<Text>,
        image_url -> Nullable<Text>,
        price_minor -> Nullable<BigInt>,
        price_currency -> Nullable<Text>,
        weight_grams -> Nullable<BigInt>,
        length_mm -> Nullable<BigInt>,
        width_mm -> Nullable<BigInt>,
        height_mm -> Nullable<BigInt>,
        hs_code -> Nullable<Text>,
        country_of_origin -> Nullable<Text>,
        customs_description -> Nullable<Text>,
        declared_value_minor -> Nullable<BigInt>,
        declared_value_currency -> Nullable<Text>,
        updated_at -> BigInt,
        channel_quantity -> Nullable<BigInt>,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        target -> Text,
        kind -> Text,
        coalesce_key -> Nullable<Text>,
        payload -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::joinable!(stock_levels -> products (sku));
diesel::joinable!(inventory_sources -> products (sku));
diesel::joinable!(channel_products -> channels (channel_id));
diesel::joinable!(channel_products -> products (sku));

diesel::allow_tables_to_appear_in_same_query!(
    settings,
    products,
    stock_levels,
    inventory_sources,
    channels,
    channel_products,
    outbox,
    plugin_products,
    orders,
    order_lines,
    order_events,
    channel_state,
    inbound_webhooks,
    unlinked_listings,
    events,
    fulfilments,
    fulfilment_lines,
    plugins,
    webhook_subscriptions,
    webhook_deliveries,
    transactions,
    sync_lag,
    channel_confirmations,
);

diesel::table! {
    orders (id) {
        id -> BigInt,
        channel_id -> BigInt,
        external_id -> Text,
        name -> Text,
        status -> Text,
        hold_reason -> Nullable<Text>,
        financial_status -> Text,
        fulfillment_status -> Text,
        channel_created_at -> BigInt,
        channel_updated_at -> BigInt,
        channel_digest -> Text,
        cancelled_at -> Nullable<BigInt>,
        imported_at -> BigInt,
        updated_at -> BigInt,
        plugin_id -> Nullable<BigInt>,
        channel_reserved -> Bool,
        number -> Nullable<Text>,
        details -> Nullable<Text>,
        personal -> Nullable<Text>,
        customer_email -> Nullable<Text>,
        redacted_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    order_lines (id) {
        id -> BigInt,
        order_id -> BigInt,
        external_id -> Text,
        sku -> Text,
        quantity -> BigInt,
        fulfilled -> BigInt,
        allocated -> BigInt,
        shipped -> BigInt,
        channel_out -> BigInt,
        returned -> BigInt,
        written_off -> BigInt,
        product_id -> Nullable<Text>,
        variant_id -> Nullable<Text>,
        details -> Nullable<Text>,
    }
}

diesel::table! {
    fulfilments (id) {
        id -> BigInt,
        order_id -> BigInt,
        channel_id -> BigInt,
        source -> Text,
        status -> Text,
        carrier -> Nullable<Text>,
        tracking_number -> Nullable<Text>,
        tracking_url -> Nullable<Text>,
        channel_ref -> Nullable<Text>,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        idempotency_key -> Nullable<Text>,
        request_digest -> Nullable<Text>,
    }
}

diesel::table! {
    plugins (id) {
        id -> BigInt,
        name -> Text,
        orders_url -> Text,
        routing -> Text,
        token_sha256 -> Text,
        signing_secret -> Text,
        enabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        orders_sent -> BigInt,
        last_sent_at -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    plugin_products (plugin_id, sku) {
        plugin_id -> BigInt,
        sku -> Text,
        data -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    fulfilment_lines (fulfilment_id, order_line_id) {
        fulfilment_id -> BigInt,
        order_line_id -> BigInt,
        sku -> Text,
        quantity -> BigInt,
    }
}

diesel::table! {
    order_events (id) {
        id -> BigInt,
        order_id -> BigInt,
        at -> BigInt,
        kind -> Text,
        detail -> Text,
    }
}

diesel::table! {
    channel_state (channel_id) {
        channel_id -> BigInt,
        cursor_updated_at -> Nullable<BigInt>,
        last_poll_at -> Nullable<BigInt>,
        last_success_at -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        orders_imported -> BigInt,
        last_push_at -> Nullable<BigInt>,
        last_push_error -> Nullable<Text>,
        pushes_sent -> BigInt,
        location -> Nullable<Text>,
    }
}

diesel::table! {
    unlinked_listings (channel_id, sku) {
        channel_id -> BigInt,
        sku -> Text,
        listing_id -> Nullable<Text>,
        variant_id -> Nullable<Text>,
        inventory_item_id -> Nullable<Text>,
        location_id -> Nullable<Text>,
        channel_quantity -> Nullable<BigInt>,
        seen_at -> BigInt,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        kind -> Text,
        channel_id -> Nullable<BigInt>,
        subject -> Text,
        payload -> Text,
        created_at -> BigInt,
        seq -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> BigInt,
        url -> Text,
        events -> Text,
        channel_id -> Nullable<BigInt>,
        secret -> Text,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        event_cursor -> BigInt,
        failing_since -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        last_delivery_at -> Nullable<BigInt>,
        delivered -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
        previous_secret -> Nullable<Text>,
        previous_until -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        subscription_id -> BigInt,
        event_id -> BigInt,
        webhook_id -> Text,
        attempt -> Integer,
        attempted_at -> BigInt,
        status_code -> Nullable<Integer>,
        duration_ms -> BigInt,
        error -> Nullable<Text>,
        response -> Text,
    }
}

diesel::table! {
    inbound_webhooks (channel_id, webhook_id) {
        channel_id -> BigInt,
        webhook_id -> Text,
        received_at -> BigInt,
    }
}

diesel::joinable!(order_lines -> orders (order_id));
diesel::joinable!(order_events -> orders (order_id));

diesel::table! {
    transactions (id) {
        id -> BigInt,
        at -> BigInt,
        target_kind -> Text,
        target_id -> BigInt,
        action -> Text,
        subject -> Nullable<Text>,
        status_code -> Nullable<Integer>,
        duration_ms -> BigInt,
        error -> Nullable<Text>,
        response -> Text,
    }
}

diesel::table! {
    sync_lag (id) {
        id -> BigInt,
        channel_id -> BigInt,
        at -> BigInt,
        lag_ms -> BigInt,
        skus -> Integer,
    }
}

diesel::table! {
    channel_confirmations (channel_id, sku) {
        channel_id -> BigInt,
        sku -> Text,
        quantity -> BigInt,
        confirmed_at -> BigInt,
    }
}

diesel::table! {
    cluster_processes (id) {
        id -> Text,
        address -> Text,
        started_at -> BigInt,
        renewed_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    leases (kind, target_id) {
        kind -> Text,
        target_id -> BigInt,
        owner -> Nullable<Text>,
        generation -> BigInt,
        renewed_at -> BigInt,
        expires_at -> BigInt,
    }
}
