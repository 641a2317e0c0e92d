//! The shared, immutable description of one synthetic site: validated
//! spec, entity counts derived from the size target, and pure functions
//! that recompute any entity (person, post slot) from its index, so every
//! table agrees without sharing mutable state.

use super::rng::Rng;
pub(crate) use super::site::Site;
use super::text::{self, Lang};

/// Entity counts. Everything scales from `articles`.
#[derive(Debug, Clone)]
pub(crate) struct Counts {
    pub(crate) articles: u64,
    pub(crate) pages: u64,
    pub(crate) products: u64,
    pub(crate) legacy_orders: u64,
    pub(crate) user_requests: u64,
    pub(crate) users: u64,
    pub(crate) guests: u64,
    pub(crate) orders: u64,
    pub(crate) sessions: u64,
    pub(crate) tokens: u64,
    pub(crate) permissions: u64,
    pub(crate) categories: u64,
    pub(crate) tags: u64,
    pub(crate) transients: u64,
}

impl Counts {
    pub(crate) fn for_articles(n: u64) -> Counts {
        let n = n.max(5);
        Counts {
            articles: n,
            pages: 6 + n / 40,
            products: 4 + n / 12,
            legacy_orders: 3 + n / 25,
            user_requests: 2 + n / 2000,
            users: 6 + n / 6,
            guests: 6 + n / 4,
            orders: 4 + n / 3,
            sessions: 3 + n / 40,
            tokens: 2 + n / 50,
            permissions: 2 + n / 30,
            categories: 6 + n / 300,
            tags: 12 + n / 60,
            transients: 4 + n / 100,
        }
    }

    pub(crate) fn people(&self) -> u64 {
        self.users + self.guests
    }
}

/// Number of staff accounts (admin, editors) with emails at the site domain.
pub(crate) const STAFF: u64 = 3;
/// Menu items in the primary nav menu.
pub(crate) const NAV_ITEMS: u64 = 8;
/// Article slot: article, its featured image, up to two revisions.
pub(crate) const ARTICLE_STRIDE: u64 = 4;
/// Product slot: product, its image.
pub(crate) const PRODUCT_STRIDE: u64 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    GlobalStyles,
    NavItem(u64),
    UserRequest(u64),
    Page(u64),
    Product(u64),
    ProductImage(u64),
    LegacyOrder(u64),
    Article(u64),
    ArticleImage(u64),
    /// (article, revision number 1..=2)
    Revision(u64, u64),
}

/// Layout of `posts.ID`: consecutive ranges per kind, with fixed strides so
/// any table can compute an id from an entity index and back.
#[derive(Debug, Clone)]
pub(crate) struct PostLayout {
    nav_start: u64,
    req_start: u64,
    page_start: u64,
    product_start: u64,
    legacy_start: u64,
    article_start: u64,
    pub(crate) max_id: u64,
}

impl PostLayout {
    fn new(c: &Counts) -> PostLayout {
        let nav_start = 2;
        let req_start = nav_start + NAV_ITEMS;
        let page_start = req_start + c.user_requests;
        let product_start = page_start + c.pages;
        let legacy_start = product_start + c.products * PRODUCT_STRIDE;
        let article_start = legacy_start + c.legacy_orders;
        let max_id = article_start + c.articles * ARTICLE_STRIDE - 1;
        PostLayout {
            nav_start,
            req_start,
            page_start,
            product_start,
            legacy_start,
            article_start,
            max_id,
        }
    }

    pub(crate) fn page_id(&self, i: u64) -> u64 {
        self.page_start + i
    }
    pub(crate) fn product_id(&self, i: u64) -> u64 {
        self.product_start + i * PRODUCT_STRIDE
    }
    pub(crate) fn article_id(&self, i: u64) -> u64 {
        self.article_start + i * ARTICLE_STRIDE
    }
}

/// One person (registered user or guest). Same index → same person in
/// users, comments, orders and the customer lookup.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub(crate) index: u64,
    pub(crate) first: &'static str,
    pub(crate) last: &'static str,
    pub(crate) login: String,
    /// Canonical lower-case email.
    pub(crate) email: String,
    /// As typed at sign-up; sometimes mixed case (`Anna.Schmidt7@GMX.de`).
    pub(crate) email_typed: String,
    pub(crate) country: &'static str,
    pub(crate) city: &'static str,
    pub(crate) state: &'static str,
    pub(crate) postcode: String,
    pub(crate) street: String,
    pub(crate) phone: String,
    pub(crate) company: &'static str,
    pub(crate) lang: Lang,
}

fn ascii_fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            'ä' | 'Ä' => out.push_str("ae"),
            'ö' | 'Ö' => out.push_str("oe"),
            'ü' | 'Ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'í' => out.push('i'),
            '\'' => {}
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    out
}

fn title_case_email(s: &str) -> String {
    // Capitalize after start, '.', '@' — how people type their own address.
    let mut out = String::with_capacity(s.len());
    let mut up = true;
    for c in s.chars() {
        out.push(if up { c.to_ascii_uppercase() } else { c });
        up = matches!(c, '.' | '@' | '_');
    }
    out
}

#[derive(Debug)]
pub(crate) struct World {
    pub(crate) seed: u64,
    pub(crate) prefix: String,
    pub(crate) site: Site,
    pub(crate) counts: Counts,
    pub(crate) layout: PostLayout,
    /// All generated dates fall in [epoch_start, epoch_end).
    pub(crate) epoch_start: u64,
    pub(crate) epoch_end: u64,
}

impl World {
    pub(crate) fn new(seed: u64, prefix: String, site: Site, counts: Counts) -> World {
        let layout = PostLayout::new(&counts);
        World {
            seed,
            prefix,
            site,
            counts,
            layout,
            epoch_start: 1_420_070_400,
            epoch_end: 1_735_689_600,
        }
    }

    pub(crate) fn rng(&self, label: &str, index: u64) -> Rng {
        Rng::for_item(self.seed, label, index)
    }

    pub(crate) fn t(&self, table: &str) -> String {
        format!("{}{}", self.prefix, table)
    }

    pub(crate) fn admin_email(&self) -> String {
        format!("info@{}", self.site.mail_domain())
    }

    /// Timestamp that grows with `index` out of `total`, plus jitter: ids
    /// and dates stay roughly in the same order, as on a real site.
    pub(crate) fn time_at(&self, index: u64, total: u64, rng: &mut Rng) -> u64 {
        let span = self.epoch_end - self.epoch_start;
        let base = self.epoch_start + span / total.max(1) * index.min(total);
        base + rng.below(86_400 * 3)
    }

    pub(crate) fn slot(&self, id: u64) -> Option<Slot> {
        let l = &self.layout;
        if id == 1 {
            Some(Slot::GlobalStyles)
        } else if id < l.req_start {
            Some(Slot::NavItem(id - l.nav_start))
        } else if id < l.page_start {
            Some(Slot::UserRequest(id - l.req_start))
        } else if id < l.product_start {
            Some(Slot::Page(id - l.page_start))
        } else if id < l.legacy_start {
            let off = id - l.product_start;
            let i = off / PRODUCT_STRIDE;
            Some(if off.is_multiple_of(PRODUCT_STRIDE) {
                Slot::Product(i)
            } else {
                Slot::ProductImage(i)
            })
        } else if id < l.article_start {
            Some(Slot::LegacyOrder(id - l.legacy_start))
        } else if id <= l.max_id {
            let off = id - l.article_start;
            let a = off / ARTICLE_STRIDE;
            match off % ARTICLE_STRIDE {
                0 => Some(Slot::Article(a)),
                1 if self.article_has_image(a) => Some(Slot::ArticleImage(a)),
                r @ 2..=3 if r - 1 <= self.article_revisions(a) => Some(Slot::Revision(a, r - 1)),
                _ => None,
            }
        } else {
            None
        }
    }

    pub(crate) fn article_has_image(&self, a: u64) -> bool {
        self.rng("article-image", a).chance(75)
    }

    pub(crate) fn article_revisions(&self, a: u64) -> u64 {
        self.rng("article-revs", a).below(3)
    }

    /// Author (user index) of article `a`: one of the staff.
    pub(crate) fn article_author(&self, a: u64) -> u64 {
        a % STAFF
    }

    pub(crate) fn person(&self, index: u64) -> Person {
        let mut r = self.rng("person", index);
        let lang = Lang::pick(&mut r);
        let (first, last, fl, ll) = match lang {
            Lang::De => {
                let f = r.pick(text::FIRST_DE);
                let l = r.pick(text::LAST_DE);
                (f, l, ascii_fold(f), ascii_fold(l))
            }
            Lang::Ja => {
                let fi = r.below(text::FIRST_JA.len() as u64) as usize;
                let li = r.below(text::LAST_JA.len() as u64) as usize;
                (
                    text::FIRST_JA[fi],
                    text::LAST_JA[li],
                    text::ROMAJI[fi].to_string(),
                    text::LAST_ROMAJI[li].to_string(),
                )
            }
            Lang::En => {
                let f = r.pick(text::FIRST_EN);
                let l = r.pick(text::LAST_EN);
                (f, l, ascii_fold(f), ascii_fold(l))
            }
        };
        // The index in the local part keeps emails and logins unique.
        let local = match r.below(3) {
            0 => format!("{fl}.{ll}{index}"),
            1 => format!("{fl}{index}"),
            _ => format!("{}{ll}{index}", &fl[..1.min(fl.len())]),
        };
        let domain = if index < STAFF {
            self.site.mail_domain().to_string()
        } else if lang == Lang::Ja && r.chance(60) {
            r.pick(&["yahoo.co.jp", "docomo.ne.jp", "gmail.com"])
                .to_string()
        } else {
            r.pick(text::MAIL_DOMAINS).to_string()
        };
        let email = if index == 0 {
            self.admin_email()
        } else {
            format!("{local}@{domain}")
        };
        let email_typed = if index % 7 == 3 {
            title_case_email(&email)
        } else {
            email.clone()
        };
        let login = if index == 0 {
            "admin".to_string()
        } else {
            format!("{fl}{ll}{index}")
        };
        let (country, (city, state), postcode, street) = match lang {
            Lang::Ja => (
                "JP",
                text::CITIES_JA[r.below(text::CITIES_JA.len() as u64) as usize],
                format!("{:03}-{:04}", r.below(1000), r.below(10000)),
                format!("{}-{}-{}", r.range(1, 9), r.range(1, 30), r.range(1, 20)),
            ),
            Lang::De => (
                "DE",
                text::CITIES_DE[r.below(text::CITIES_DE.len() as u64) as usize],
                format!("{:05}", r.range(10_000, 99_999)),
                format!("{} {}", r.pick(text::STREETS_DE), r.range(1, 120)),
            ),
            Lang::En => (
                "US",
                text::CITIES_US[r.below(text::CITIES_US.len() as u64) as usize],
                format!("{:05}", r.range(10_000, 99_999)),
                format!("{} Oak Street", r.range(1, 9999)),
            ),
        };
        let phone = text::phone(&mut r, country);
        let company = r.pick(text::COMPANIES);
        Person {
            index,
            first,
            last,
            login,
            email,
            email_typed,
            country,
            city,
            state,
            postcode,
            street,
            phone,
            company,
            lang,
        }
    }

    pub(crate) fn is_user(&self, person: u64) -> bool {
        person < self.counts.users
    }

    /// Customer (person index) of HPOS order `o`: registered users and guests mixed.
    pub(crate) fn order_customer(&self, o: u64) -> u64 {
        let mut r = self.rng("order-customer", o);
        STAFF + r.below(self.counts.people() - STAFF)
    }

    /// Product bought in HPOS order `o`.
    pub(crate) fn order_product(&self, o: u64) -> u64 {
        self.rng("order-product", o).below(self.counts.products)
    }
}
