//! Customer feedback (issue 20), the rules without I/O: a rating of one to five stars, what
//! counts as a low one, and the promoter score the feedback report shows.

/// One to five stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rating(u8);

impl Rating {
    pub fn new(stars: i64) -> Result<Self, &'static str> {
        match stars {
            1..=5 => Ok(Self(stars as u8)),
            _ => Err("choose one to five stars"),
        }
    }

    pub fn stars(self) -> u8 {
        self.0
    }

    /// Two stars or fewer: the branch's manager hears of it at once.
    pub fn is_low(self) -> bool {
        self.0 <= 2
    }

    /// Where the rating stands for the promoter score.
    pub fn group(self) -> Group {
        match self.0 {
            5 => Group::Promoter,
            4 => Group::Passive,
            _ => Group::Detractor,
        }
    }
}

/// A net-promoter-style reading of five stars: five promote, four are passive, three or fewer
/// detract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    Promoter,
    Passive,
    Detractor,
}

/// What a set of ratings comes to, for the feedback report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Feedback links sent.
    pub asked: i64,
    /// Ratings given.
    pub answered: i64,
    /// The sum of the stars given.
    pub stars: i64,
    pub promoters: i64,
    pub detractors: i64,
}

impl Summary {
    pub fn add(&mut self, rating: Rating) {
        self.answered += 1;
        self.stars += i64::from(rating.stars());
        match rating.group() {
            Group::Promoter => self.promoters += 1,
            Group::Detractor => self.detractors += 1,
            Group::Passive => {}
        }
    }

    /// The average in hundredths of a star (4.25 stars is 425), rounded half up.
    pub fn average_centi(&self) -> Option<i64> {
        (self.answered > 0).then(|| (self.stars * 100 * 2 + self.answered) / (self.answered * 2))
    }

    /// Ratings given per link sent, in basis points.
    pub fn response_rate_bp(&self) -> Option<i64> {
        crate::reports::ratio_bp(self.answered, self.asked)
    }

    /// Promoters minus detractors as a share of all ratings, −100 to 100.
    pub fn promoter_score(&self) -> Option<i64> {
        (self.answered > 0).then(|| {
            let net = (self.promoters - self.detractors) * 100;
            // Rounded half away from zero.
            (net * 2 + net.signum() * self.answered) / (self.answered * 2)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_one_to_five_stars() {
        assert!(Rating::new(0).is_err());
        assert!(Rating::new(6).is_err());
        assert_eq!(Rating::new(4).map(Rating::stars), Ok(4));
        assert!(Rating::new(2).is_ok_and(Rating::is_low));
        assert!(!Rating::new(3).is_ok_and(Rating::is_low));
    }

    #[test]
    fn the_summary_reads_like_the_report() {
        let mut s = Summary {
            asked: 8,
            ..Summary::default()
        };
        for stars in [5, 5, 4, 3, 1] {
            s.add(Rating::new(stars).expect("rating"));
        }
        assert_eq!(s.average_centi(), Some(360));
        assert_eq!(s.response_rate_bp(), Some(6_250));
        // Two promoters, two detractors of five: 0.
        assert_eq!(s.promoter_score(), Some(0));
        s.add(Rating::new(5).expect("rating"));
        // Three promoters, two detractors of six: 16.67 → 17.
        assert_eq!(s.promoter_score(), Some(17));
        assert_eq!(Summary::default().average_centi(), None);
        assert_eq!(Summary::default().promoter_score(), None);
    }

    #[test]
    fn negative_scores_round_away_from_zero() {
        let mut s = Summary::default();
        for stars in [1, 2, 5] {
            s.add(Rating::new(stars).expect("rating"));
        }
        // One promoter, two detractors of three: −33.33 → −33.
        assert_eq!(s.promoter_score(), Some(-33));
    }
}
