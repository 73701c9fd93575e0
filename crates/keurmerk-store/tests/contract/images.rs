//! Product images (migration 0025): bytes stored once per content address, one current image
//! per product, written with their audit record; removing keeps the bytes.

use super::*;

pub(crate) fn image(fill: u8, media_type: &str) -> StoredImage {
    let data = vec![fill; 100];
    StoredImage {
        meta: ImageRef {
            sha256: format!("{fill:02x}").repeat(32),
            media_type: media_type.into(),
            width: 40,
            height: 30,
        },
        data,
    }
}

pub(crate) async fn product_images_are_stored_by_content(s: &SqlStore) {
    let p = seed(s).await;
    let audits = s.audit(1000, None).await.unwrap().len();
    assert!(s
        .product_images(std::slice::from_ref(&p.id))
        .await
        .unwrap()
        .is_empty());
    assert!(s.product_images(&[]).await.unwrap().is_empty());

    let a = image(0xaa, "image/png");
    s.set_product_image(&p.id, &a, at(1), &audit("maker", "product.image.set"))
        .await
        .unwrap();
    let got = s.image(&a.meta.sha256).await.unwrap().unwrap();
    assert_eq!(got, a, "bytes and metadata round-trip");
    let map = s
        .product_images(&[p.id.clone(), rid("PRD-999999")])
        .await
        .unwrap();
    assert_eq!(map.len(), 1);
    assert_eq!(map[&p.id], a.meta);

    // Replacing: the new one is current, the old bytes stay served at their address.
    let b = image(0xbb, "image/jpeg");
    s.set_product_image(&p.id, &b, at(2), &audit("maker", "product.image.set"))
        .await
        .unwrap();
    assert_eq!(
        s.product_images(std::slice::from_ref(&p.id)).await.unwrap()[&p.id],
        b.meta
    );
    assert!(s.image(&a.meta.sha256).await.unwrap().is_some());
    // The same content again is stored once (no conflict).
    s.set_product_image(&p.id, &b, at(3), &audit("maker", "product.image.set"))
        .await
        .unwrap();

    // Removing: the product has none; removing again writes nothing.
    assert!(s
        .clear_product_image(&p.id, &audit("maker", "product.image.clear"))
        .await
        .unwrap());
    assert!(s
        .product_images(std::slice::from_ref(&p.id))
        .await
        .unwrap()
        .is_empty());
    assert!(s.image(&b.meta.sha256).await.unwrap().is_some());
    assert!(!s
        .clear_product_image(&p.id, &audit("maker", "product.image.clear"))
        .await
        .unwrap());
    assert_eq!(
        s.audit(1000, None).await.unwrap().len(),
        audits + 4,
        "three sets and one removal audited, the empty removal not"
    );
    assert_eq!(s.image(&"00".repeat(32)).await.unwrap(), None);

    // An image of a product that does not exist is refused by the foreign key, with nothing
    // written.
    let c = image(0xcc, "image/png");
    assert!(s
        .set_product_image(
            &rid("PRD-999999"),
            &c,
            at(4),
            &audit("maker", "product.image.set")
        )
        .await
        .is_err());
    assert_eq!(s.image(&c.meta.sha256).await.unwrap(), None);
}
