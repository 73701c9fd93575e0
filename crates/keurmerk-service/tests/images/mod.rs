//! Product images (issue 13 item 5): only the product's maker sets or removes one, only a real
//! PNG or JPEG within the limits is accepted (each refusal names what is wrong and writes
//! nothing), anyone reads it by its content address, and search results carry it.

use keurmerk_store::{AuditStore, ImageStore};

use keurmerk_service::*;

use crate::support::*;

const CAMERA: &[u8] = include_bytes!("../../demo-assets/camera.png");
const ROUTER: &[u8] = include_bytes!("../../demo-assets/router.png");

async fn audits(e: &Env) -> usize {
    e.reg.store().audit(10_000, None).await.unwrap().len()
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

#[tokio::test]
async fn only_the_maker_sets_its_products_image() {
    let e = env().await;
    world(&e.reg).await;
    let (p, _) = product(&e.reg, "maker").await;
    let before = audits(&e).await;
    for who in ["other-maker", "nl-lab", "nl-rdi", "enisa"] {
        let r = e.reg.set_product_image(&a(who), &p, CAMERA).await;
        assert!(matches!(r, Err(ServiceError::Forbidden(_))), "{who}: {r:?}");
        let r = e.reg.clear_product_image(&a(who), &p).await;
        assert!(matches!(r, Err(ServiceError::Forbidden(_))), "{who}: {r:?}");
    }
    // An organisation that does not exist is not someone.
    assert!(e
        .reg
        .set_product_image(&a("nobody"), &p, CAMERA)
        .await
        .is_err());
    // Another maker is refused before its bytes are even looked at: garbage says forbidden.
    assert!(matches!(
        e.reg
            .set_product_image(&a("other-maker"), &p, b"junk")
            .await,
        Err(ServiceError::Forbidden(_))
    ));
    let unknown = keurmerk_domain::ids::RecordId::new("PRD-999999").unwrap();
    assert!(matches!(
        e.reg.set_product_image(&a("maker"), &unknown, CAMERA).await,
        Err(ServiceError::NotFound { .. })
    ));
    assert_eq!(audits(&e).await, before, "no refusal wrote anything");
    assert!(e
        .reg
        .store()
        .product_images(std::slice::from_ref(&p))
        .await
        .unwrap()
        .is_empty());

    // The maker does, audited; anyone reads it by address.
    let img = e
        .reg
        .set_product_image(&a("maker"), &p, CAMERA)
        .await
        .unwrap();
    assert_eq!(img.media_type, "image/png");
    assert_eq!((img.width, img.height), (96, 96));
    assert_eq!(img.sha256, sha256_hex(CAMERA));
    assert_eq!(audits(&e).await, before + 1);
    let rec = e.reg.store().audit(1, None).await.unwrap().remove(0);
    assert_eq!(rec.audit.action, "product.image.set");
    assert_eq!(rec.audit.actor.as_ref().map(|o| o.as_str()), Some("maker"));
    let served = e.reg.image(&img.sha256).await.unwrap();
    assert_eq!(served.data, CAMERA);

    // Replaced, then removed; removing none is not found.
    let img2 = e
        .reg
        .set_product_image(&a("maker"), &p, ROUTER)
        .await
        .unwrap();
    assert_ne!(img2.sha256, img.sha256);
    e.reg.clear_product_image(&a("maker"), &p).await.unwrap();
    assert!(matches!(
        e.reg.clear_product_image(&a("maker"), &p).await,
        Err(ServiceError::NotFound { .. })
    ));
    // The published addresses still serve their bytes (they were cached as immutable).
    assert_eq!(e.reg.image(&img2.sha256).await.unwrap().data, ROUTER);
}

#[tokio::test]
async fn bad_images_are_refused_naming_what_is_wrong() {
    let e = env().await;
    world(&e.reg).await;
    let (p, _) = product(&e.reg, "maker").await;
    let before = audits(&e).await;
    let mut bomb = CAMERA.to_vec();
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let mut oversize = CAMERA.to_vec();
    oversize.resize(keurmerk_label::product_image::MAX_IMAGE_BYTES + 1, 0);
    for (what, bytes, says) in [
        ("empty", Vec::new(), "empty"),
        ("oversize", oversize, "at most 524288 bytes"),
        (
            "truncated",
            CAMERA[..CAMERA.len() - 30].to_vec(),
            "truncated",
        ),
        (
            "wrong magic",
            b"GIF89a0000000000000000".to_vec(),
            "not a PNG or a JPEG",
        ),
        (
            "svg",
            br#"<svg xmlns="http://www.w3.org/2000/svg"/>"#.to_vec(),
            "not a PNG or a JPEG",
        ),
        ("bomb", bomb, "100000×100000"),
    ] {
        match e.reg.set_product_image(&a("maker"), &p, &bytes).await {
            Err(ServiceError::Invalid { field, problem }) => {
                assert_eq!(field, "image", "{what}");
                assert!(problem.contains(says), "{what}: {problem}");
            }
            other => panic!("{what}: {other:?}"),
        }
    }
    assert_eq!(audits(&e).await, before, "no refusal wrote anything");
}

#[tokio::test]
async fn only_stored_addresses_are_served() {
    let e = env().await;
    world(&e.reg).await;
    for bad in [
        "",
        "../etc/passwd",
        &"AB".repeat(32),
        &"ab".repeat(31),
        &"00".repeat(32),
    ] {
        assert!(
            matches!(e.reg.image(bad).await, Err(ServiceError::NotFound { .. })),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn search_results_carry_the_products_image() {
    let e = env().await;
    world(&e.reg).await;
    keys_for_all(&e.reg).await;
    let (p, v) = product(&e.reg, "maker").await;
    issued(&e.reg, "nl-lab", &p, &v, "eu-iot", "substantial").await;
    let q = LabelQuery {
        text: Some("cosy".into()),
        limit: 10,
        ..LabelQuery::default()
    };
    let page = e.reg.search_labels(&q).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(
        page.items[0].hit.image, None,
        "no image yet: the page shows a placeholder"
    );
    let img = e
        .reg
        .set_product_image(&a("maker"), &p, CAMERA)
        .await
        .unwrap();
    let page = e.reg.search_labels(&q).await.unwrap();
    assert_eq!(page.items[0].hit.image.as_ref(), Some(&img));
}
